// An agent replied in HubSpot: deliver the reply to the customer as the agent's Botpress user, in
// the order the agent wrote, exactly once, and report SENT or FAILED back to HubSpot.
//
// Ordering: webhooks may arrive out of order, so the thread's timeline is read first and the agent's
// earlier messages that HubSpot still shows without a delivery status are delivered before this one.
// A status that was set by us marks a message as handled, so HubSpot itself is the record of what
// was delivered and no Botpress lookup is needed.
import { isApiError } from '@botpress/sdk'
import { download, DownloadError } from '../../download'
import * as env from '../../env'
import { listThreadMessages } from '../../hubspot/conversations'
import { updateMessageStatus } from '../../hubspot/custom-channels'
import { getSignedUrl, isHubSpotHost } from '../../hubspot/files'
import { HubSpotApiError } from '../../hubspot/http'
import type { Message, ThreadEntry } from '../../hubspot/schemas'
import { processCache } from '../../memory'
import { normaliseAgentActorId, resolveAgentUser } from '../agents'
import { isNotFound, timeLeftFor, type Deps } from '../context'
import { agentMessageParts, partToBotpress, type AgentPart } from '../messages'
import { agentMessageKey, reachedBotpress, type Session } from '../session'
import type { ReplyOutcome } from './outcome'

const TIMELINE_PAGES = 5
// Newest first, the message and the few before it are on the first small page.
const TIMELINE_PAGE_SIZE = 25

export const isAgentReply = (message: Message): boolean =>
  message.direction === 'OUTGOING' &&
  message.client?.clientType !== 'INTEGRATION' &&
  normaliseAgentActorId(message.senders[0]?.actorId ?? message.createdBy) !== undefined

const isMessage = (entry: ThreadEntry): entry is Message => entry.type === 'MESSAGE' && 'direction' in entry

const time = (iso: string | undefined) => (iso ? Date.parse(iso) : 0)

// Newest first finds the message on the first page of a long thread; a HubSpot that refuses the
// sort parameter is asked again without it (oldest first, paging on), and not asked with it again
// for an hour.
const sortRefused = processCache<true>('timeline sort refused', { maxEntries: 100, ttlMs: 60 * 60_000 })

const readTimelinePage = async (deps: Deps, threadId: string, after: string | undefined) => {
  if (!sortRefused.has(env.hubspotApiUrl())) {
    try {
      return {
        newestFirst: true,
        ...(await listThreadMessages(deps.hubspot, threadId, { after, limit: TIMELINE_PAGE_SIZE, newestFirst: true })),
      }
    } catch (error) {
      if (!(error instanceof HubSpotApiError && error.status === 400)) throw error
      sortRefused.set(env.hubspotApiUrl(), true)
    }
  }
  return { newestFirst: false, ...(await listThreadMessages(deps.hubspot, threadId, { after, limit: 100 })) }
}

// Oldest first, in HubSpot's order: entries of the same millisecond keep the order HubSpot listed
// them in. The listing's direction is read from the data when times differ.
export const chronological = (entries: ThreadEntry[], listedNewestFirst: boolean): ThreadEntry[] => {
  let newestFirst = listedNewestFirst
  for (let i = 0; i + 1 < entries.length; i++) {
    const [a, b] = [time(entries[i]!.createdAt), time(entries[i + 1]!.createdAt)]
    if (a !== b) {
      newestFirst = a > b
      break
    }
  }
  const listed = newestFirst ? [...entries].reverse() : entries
  return listed
    .map((entry, index) => ({ entry, index }))
    .sort((x, y) => time(x.entry.createdAt) - time(y.entry.createdAt) || x.index - y.index)
    .map(({ entry }) => entry)
}

// The thread's recent timeline, read until `untilId` is found (one page when none is named).
const readTimeline = async (deps: Deps, threadId: string, untilId?: string): Promise<ThreadEntry[]> => {
  const entries: ThreadEntry[] = []
  let after: string | undefined
  let newestFirst = true
  for (let page = 0; page < TIMELINE_PAGES; page++) {
    const result = await readTimelinePage(deps, threadId, after)
    newestFirst = result.newestFirst
    entries.push(...result.results)
    if (!untilId || entries.some((entry) => entry.id === untilId) || !result.nextAfter) break
    after = result.nextAfter
  }
  return chronological(entries, newestFirst)
}

const isClose = (entry: ThreadEntry) =>
  entry.type === 'THREAD_STATUS_CHANGE' && (entry as { newStatus?: string }).newStatus === 'CLOSED'
// Earlier replies are caught up within this window before the message being handled; older ones
// had their own webhooks long ago.
const CATCH_UP_WINDOW_MS = 10 * 60_000

// Agent replies among `entries` that have not reached the customer, oldest first. A reply without
// any status was not handled (a delivery always ends with SENT or FAILED), and FAILED is final.
// SENT alone proves nothing: HubSpot may show it before any integration touched the message, so
// such a reply is looked up in the Botpress conversation. Replies are delivered in the order
// written, so the newest one found there vouches for every older one: the common case (the previous
// reply was delivered) costs one lookup.
const undeliveredReplies = async (
  deps: Deps,
  conversationId: string,
  entries: ThreadEntry[],
  reference: number
): Promise<Message[]> => {
  const candidates = entries
    .filter((entry): entry is Message => isMessage(entry) && isAgentReply(entry))
    .filter(
      (message) => message.status?.statusType !== 'FAILED' && time(message.createdAt) >= reference - CATCH_UP_WINDOW_MS
    )
  const pending: Message[] = []
  for (const message of [...candidates].reverse()) {
    if (message.status && (await reachedBotpress(deps, conversationId, message.id))) break
    pending.unshift(message)
  }
  return pending
}

// Agent files are re-hosted in Botpress so the customer can open them; the HubSpot token goes only
// to HubSpot's own hosts.
// Hidden files of HubSpot's file manager can be read only with files.ui_hidden.read: a refusal
// from HubSpot is asked once more through a signed link, then reported to the agent with the fix.
const fetchAgentFile = async (deps: Deps, part: Extract<AgentPart, { kind: 'media' }>) => {
  const options = {
    maxBytes: env.maxAttachmentBytes(),
    timeoutMs: timeLeftFor(deps, env.requestTimeoutMs()),
    trustedOrigins: env.trustedFileOrigins(),
  }
  const url = part.attachment.url
  const fromHubSpot = (() => {
    try {
      return isHubSpotHost(new URL(url), env.hubspotApiUrl())
    } catch {
      return false
    }
  })()
  try {
    return await download(url, {
      ...options,
      bearerToken: await deps.tokens.get(),
      mayReceiveToken: (target) => isHubSpotHost(target, env.hubspotApiUrl()),
    })
  } catch (error) {
    const refused = error instanceof DownloadError && (error.status === 401 || error.status === 403)
    if (!refused || !fromHubSpot || !part.attachment.fileId) throw error
  }
  try {
    const signed = await getSignedUrl(deps.hubspot, String(part.attachment.fileId))
    return await download(signed.url, options)
  } catch (error) {
    if (error instanceof HubSpotApiError && (error.status === 401 || error.status === 403)) {
      throw new DownloadError(deps.texts.fileUnreadable, true, error.status)
    }
    throw error
  }
}

// Where the customer opens an agent's file, and the name it goes by. Each file has a folder of its
// own, so the key ends with the file's real name (the name the customer sees) and never collides.
type Hosted = { url: string; name: string }

const rehost = async (
  deps: Deps,
  message: Message,
  part: Extract<AgentPart, { kind: 'media' }>,
  index: number
): Promise<Hosted> => {
  const fetched = await fetchAgentFile(deps, part)
  const name = part.attachment.name ?? fetched.fileName ?? `attachment-${index + 1}`
  try {
    const { file } = await deps.client.uploadFile({
      key: `hubspot/${message.conversationsThreadId}/${message.id}/${index}/${name.replace(/\//g, '_')}`,
      content: fetched.data,
      contentType: fetched.contentType ?? 'application/octet-stream',
      accessPolicies: ['public_content'],
      publicContentImmediatelyAccessible: true,
    })
    if (file.url) return { url: file.url, name }
  } catch (error) {
    if (!isApiError(error) || error.code >= 500 || error.code === 429) throw error
    deps.logger.warn(
      `Botpress refused to host an agent file (${error.code}); the customer gets a signed HubSpot link instead`
    )
  }
  // Where Botpress cannot host the file, a signed link from HubSpot's file manager still opens it.
  if (part.attachment.fileId) {
    return { url: (await getSignedUrl(deps.hubspot, String(part.attachment.fileId))).url, name }
  }
  throw new DownloadError('the file could not be hosted for the customer', true)
}

type Delivery = { delivered: true } | { delivered: false; errorMessage: string }

const deliver = async (deps: Deps, conversationId: string, message: Message): Promise<Delivery> => {
  const actorId = normaliseAgentActorId(message.senders[0]?.actorId ?? message.createdBy)
  if (!actorId) return { delivered: false, errorMessage: deps.texts.notDelivered('the sender is not a HubSpot agent') }
  const userId = await resolveAgentUser(deps, actorId, {
    refresh: false,
    nameOnMessage: message.senders[0]?.name ?? undefined,
  })
  const failures: string[] = []
  for (const [index, part] of agentMessageParts(message).entries()) {
    let hosted: Hosted | undefined
    if (part.kind === 'media') {
      try {
        hosted = await rehost(deps, message, part, index)
      } catch (error) {
        if (!(error instanceof DownloadError && error.permanent)) throw error
        failures.push(`${part.attachment.name ?? 'a file'}: ${error.message}`)
        continue
      }
    }
    const { type, payload } = partToBotpress(part, deps.texts, hosted)
    try {
      // Get-or-create keyed by the HubSpot message ID: a redelivered webhook finds the first copy.
      await deps.client.getOrCreateMessage({
        conversationId,
        userId,
        type,
        payload,
        ...agentMessageKey(index === 0 ? message.id : `${message.id}#${index}`),
      })
    } catch (error) {
      if (!isNotFound(error)) throw error
      return { delivered: false, errorMessage: deps.texts.sessionEnded }
    }
  }
  return failures.length
    ? { delivered: false, errorMessage: deps.texts.notDelivered(failures.join('; ')) }
    : { delivered: true }
}

// HubSpot may show an agent's reply as SENT before any integration reports anything (its published
// webhook example does): reporting SENT again would change nothing the agent sees and spend one of
// the portal's calls, so only a reply HubSpot shows without a status is reported SENT. A failure is
// always reported, with its reason.
export const report = async (deps: Deps, message: Message, channelId: string, outcome: Delivery) => {
  if (outcome.delivered && message.status?.statusType === 'SENT') return
  const status = outcome.delivered
    ? ({ statusType: 'SENT' } as const)
    : ({ statusType: 'FAILED', errorMessage: outcome.errorMessage } as const)
  await updateMessageStatus(deps.hubspot, channelId, message.id, status)
}

export const deliverInOrder = async (deps: Deps, conversationId: string, channelId: string, messages: Message[]) => {
  for (const message of messages) {
    await report(deps, message, channelId, await deliver(deps, conversationId, message))
  }
}

// Before the session is handed back: replies the agent wrote before closing whose webhooks have not
// arrived yet (the two webhook streams are not ordered) are delivered first, so none is lost.
export const deliverRepliesBeforeClose = async (
  deps: Deps,
  session: Session,
  threadId: string,
  channelId: string
): Promise<number> => {
  let timeline: ThreadEntry[]
  try {
    timeline = await readTimeline(deps, threadId)
  } catch (error) {
    // A deleted thread has no timeline left to read, and no reply to catch up.
    if (error instanceof HubSpotApiError && error.status === 404) return 0
    throw error
  }
  const lastClose = timeline.map(isClose).lastIndexOf(true)
  const beforeClose = lastClose >= 0 ? timeline.slice(0, lastClose) : timeline
  const closedAt = lastClose >= 0 ? time(timeline[lastClose]!.createdAt) : Date.now()
  const pending = await undeliveredReplies(deps, session.conversationId, beforeClose, closedAt)
  await deliverInOrder(deps, session.conversationId, channelId, pending)
  return pending.length
}

// Replies held back while the plugin could not see the session yet: delivered, in order, now.
export const catchUpReplies = async (deps: Deps, session: Session): Promise<number> => {
  if (!session.threadId || !session.channelId) return 0
  const timeline = await readTimeline(deps, session.threadId)
  const firstClose = timeline.findIndex(isClose)
  const open = firstClose >= 0 ? timeline.slice(0, firstClose) : timeline
  const pending = await undeliveredReplies(deps, session.conversationId, open, Date.now())
  await deliverInOrder(deps, session.conversationId, session.channelId, pending)
  return pending.length
}

// One agent reply, once the plugin sees the session: the earlier replies still on their way first.
export const deliverReply = async (
  deps: Deps,
  session: Session,
  message: Message,
  channelId: string
): Promise<ReplyOutcome> => {
  const timeline = await readTimeline(deps, message.conversationsThreadId, message.id)
  const position = timeline.findIndex((entry) => entry.id === message.id)
  const before =
    position >= 0
      ? timeline.slice(0, position)
      : timeline.filter((entry) => time(entry.createdAt) <= time(message.createdAt))
  if (before.some(isClose)) {
    await report(deps, message, channelId, { delivered: false, errorMessage: deps.texts.sessionEnded })
    return 'refused: session ended'
  }
  const undelivered = await undeliveredReplies(deps, session.conversationId, before, time(message.createdAt))
  await deliverInOrder(deps, session.conversationId, channelId, [...undelivered, message])
  return undelivered.length ? `delivered with ${undelivered.length} earlier message(s)` : 'delivered'
}
