// Publishing into a HubSpot thread: who speaks (customer, or the bot for transcript lines and
// notices), text split to HubSpot's limits, files uploaded and attached, and an idempotency key so a
// retried publish never makes a second HubSpot message.
import { contentTypeOf } from '../content-types'
import { download, DownloadError } from '../download'
import * as env from '../env'
import { publishMessage } from '../hubspot/custom-channels'
import { uploadFile } from '../hubspot/files'
import type { DeliveryIdentifier, Message, OutgoingAttachment } from '../hubspot/schemas'
import { timeLeftFor, type Deps } from './context'
import { splitText, type FileToAttach, type HubSpotContent } from './messages'
import type { SessionAddress } from './session'
import { inboxIdentifier } from './setup'

export type Party = { deliveryIdentifier: DeliveryIdentifier; name: string }

export type ThreadAddress = {
  channelId: string
  channelAccountId: string
  inboxId: string
  integrationThreadId: string
  customer: Party
  contactId?: string
}

export const isDeliveryType = (value: string | undefined): value is DeliveryIdentifier['type'] =>
  value === 'HS_EMAIL_ADDRESS' || value === 'HS_PHONE_NUMBER' || value === 'CHANNEL_SPECIFIC_OPAQUE_ID'

// Where a session's messages go, its customer named (the language's fallback when unnamed).
export const threadAddressOf = (deps: Pick<Deps, 'texts'>, address: SessionAddress): ThreadAddress => ({
  ...address,
  customer: {
    deliveryIdentifier: address.customer.deliveryIdentifier,
    name: address.customer.name ?? deps.texts.customerFallbackName,
  },
})

export const botParty = (deps: Pick<Deps, 'texts'>, inboxId: string): Party => ({
  deliveryIdentifier: inboxIdentifier(inboxId),
  name: deps.texts.botSenderName,
})

const guessContentType = (name: string, usage: FileToAttach['usage']): string =>
  contentTypeOf(name) ??
  (usage === 'IMAGE' ? 'image/png' : usage === 'AUDIO' ? 'audio/mpeg' : 'application/octet-stream')

// Files from Botpress are public URLs: fetched without any token, within the size limit.
export type NotAttached = { name: string; reason: string }

const attachFiles = async (
  deps: Deps,
  files: FileToAttach[],
  onNotAttached?: (file: NotAttached) => void
): Promise<{ attachments: OutgoingAttachment[]; notes: string[] }> => {
  const attachments: OutgoingAttachment[] = []
  const notes: string[] = []
  for (const file of files) {
    try {
      const fetched = await download(file.url, {
        maxBytes: env.maxAttachmentBytes(),
        timeoutMs: timeLeftFor(deps, env.requestTimeoutMs()),
        trustedOrigins: env.trustedFileOrigins(),
      })
      const name = fetched.fileName ?? file.name
      const uploaded = await uploadFile(deps.hubspot, {
        name,
        contentType: fetched.contentType ?? guessContentType(name, file.usage),
        data: fetched.data,
      })
      attachments.push({ type: 'FILE', fileId: uploaded.id, fileUsageType: file.usage })
    } catch (error) {
      if (!(error instanceof DownloadError && error.permanent)) throw error
      // A file that can never be fetched is reported to the agent instead of blocking the message.
      notes.push(deps.texts.fileNotAttached({ name: file.name, reason: error.message }))
      onNotAttached?.({ name: file.name, reason: error.message })
    }
  }
  return { attachments, notes }
}

// Strictly increasing timestamps, so messages published in a burst keep their order in HubSpot.
export const monotonicClock = (): (() => number) => {
  let last = 0
  return () => (last = Math.max(Date.now(), last + 1))
}

export const publishContent = async (
  deps: Deps,
  thread: ThreadAddress,
  message: {
    from: 'customer' | 'bot'
    content: HubSpotContent
    idempotencyKey: string
    clock?: () => number
    sender?: Party
    // Called for each file that could never be fetched (it is reported to the agent in the message).
    onNotAttached?: (file: NotAttached) => void
  }
): Promise<Message[]> => {
  const { attachments, notes } = await attachFiles(deps, message.content.files, message.onNotAttached)
  const text = [message.content.text, ...notes].filter((part) => part.length > 0).join('\n\n')
  if (text.length === 0 && attachments.length === 0) return []

  const bot = botParty(deps, thread.inboxId)
  const customer = message.sender ?? thread.customer
  const [senders, recipients] = message.from === 'customer' ? [[customer], [bot]] : [[bot], [customer]]
  // The channel takes one file per message: the text goes with the first file, each further file
  // follows in a message of its own.
  const chunks = splitText(text)
  const bodies: { text: string; attachments: OutgoingAttachment[] }[] = chunks.map((chunk) => ({
    text: chunk,
    attachments: [],
  }))
  const last = bodies[bodies.length - 1]!
  const [firstFile, ...moreFiles] = attachments
  if (firstFile) last.attachments.push(firstFile)
  for (const file of moreFiles) bodies.push({ text: '', attachments: [file] })
  const clock = message.clock ?? monotonicClock()
  const published: Message[] = []
  const contactId = thread.contactId && /^\d+$/.test(thread.contactId) ? Number(thread.contactId) : undefined
  for (const [index, body] of bodies.entries()) {
    published.push(
      await publishMessage(deps.hubspot, thread.channelId, {
        type: 'MESSAGE',
        text: body.text,
        messageDirection: message.from === 'customer' ? 'INCOMING' : 'OUTGOING',
        channelAccountId: thread.channelAccountId,
        integrationThreadId: thread.integrationThreadId,
        integrationIdempotencyId: index === 0 ? message.idempotencyKey : `${message.idempotencyKey}:${index}`,
        timestamp: new Date(clock()).toISOString(),
        senders: senders.map((p) => ({ deliveryIdentifier: p.deliveryIdentifier, name: p.name })),
        recipients: recipients.map((p) => ({ deliveryIdentifier: p.deliveryIdentifier, name: p.name })),
        attachments: body.attachments,
        associateWithContactId: contactId,
      })
    )
  }
  return published
}
