// Publishing Botpress-to-HubSpot: a Botpress message of the hitl channel (publishBotpressMessage), and
// any content into a HubSpot thread: who speaks (customer, or the bot for transcript lines and
// notices), text split to HubSpot's limits, files uploaded and attached, and an idempotency key so a
// retried publish never makes a second HubSpot message.
import { contentTypeOf } from '../content-types'
import { download, DownloadError } from '../download'
import * as env from '../env'
import { publishMessage } from '../hubspot/custom-channels'
import { uploadFile } from '../hubspot/files'
import type { Message, OutgoingAttachment } from '../hubspot/schemas'
import { timeLeftFor, type Deps } from './context'
import { getCustomer } from './customers'
import { splitText, toHubSpotContent, type BotpressContent, type FileToAttach, type HubSpotContent } from './messages'
import { tellCustomer } from './notices'
import type { Session } from './session'
import { botParty, threadAddressOf, type Party, type ThreadAddress } from './thread-address'

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

export type CustomerMessage = { messageId: string; type: string; payload: Record<string, unknown>; senderId?: string }

// The plugin fields of a hitl message payload are for the plugin, not the agent (interface 2.1
// adds additionalData).
export const customerMessageOf = (message: {
  id: string
  type: string
  payload: Record<string, unknown>
}): CustomerMessage => {
  const { userId, additionalData: _additionalData, ...payload } = message.payload
  const senderId = typeof userId === 'string' && userId.length > 0 ? userId : undefined
  return { messageId: message.id, type: message.type, payload, ...(senderId && { senderId }) }
}

// Publishes one Botpress message of the hitl channel into its thread; returns the HubSpot message ID.
export const publishBotpressMessage = async (
  deps: Deps,
  session: Session,
  message: CustomerMessage
): Promise<string | undefined> => {
  if (!session.address) return undefined
  const address = threadAddressOf(deps, session.address)
  const content = toHubSpotContent({ type: message.type, payload: message.payload } as BotpressContent, deps.texts)
  const idempotencyKey = `bp-${message.messageId}`
  if (!message.senderId) {
    // A notice from the plugin (for instance "the user has ended the session"), not the customer's words.
    const published = await publishContent(deps, address, {
      from: 'bot',
      content: { ...content, text: content.text ? deps.texts.notice(content.text) : content.text },
      idempotencyKey,
    })
    return published[0]?.id
  }
  const sender =
    message.senderId === session.customerBotpressUserId
      ? undefined
      : await getCustomer(deps, message.senderId).then((c) => ({ deliveryIdentifier: c.delivery, name: c.name }))
  const notAttached: NotAttached[] = []
  const published = await publishContent(deps, address, {
    from: 'customer',
    sender,
    content,
    idempotencyKey,
    onNotAttached: (file) => notAttached.push(file),
  })
  if (notAttached.length) {
    await tellCustomer(
      deps,
      session,
      message.messageId,
      notAttached.map((file) => deps.texts.fileNotDelivered(file)).join('\n')
    )
  }
  return published[0]?.id
}
