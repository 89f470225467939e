// An agent replied in HubSpot: deliver the reply to the customer as the agent's Botpress user, in
// the order the agent wrote, exactly once, and report SENT or FAILED back to HubSpot.
//
// Ordering: webhooks may arrive out of order, so the thread's timeline is read first and the agent's
// earlier messages that HubSpot still shows without a delivery status are delivered before this one.
// A status that was set by us marks a message as handled, so HubSpot itself is the record of what
// was delivered and no Botpress lookup is needed.
import { DownloadError } from '../../download'
import { HubSpotApiError } from '../../hubspot/api-error'
import { updateMessageStatus } from '../../hubspot/custom-channels'
import type { Message, ThreadEntry } from '../../hubspot/schemas'
import { rehost, type Hosted } from '../agent-files'
import { normaliseAgentActorId, resolveAgentUser } from '../agents'
import { isNotFound, type Deps } from '../context'
import { agentMessageParts, partToBotpress } from '../messages'
import { agentMessageKey, reachedBotpress, type Session } from '../session'
import { isClose, isMessage, readTimeline, time } from '../timeline'
import type { ReplyOutcome } from './outcome'

export const isAgentReply = (message: Message): boolean =>
  message.direction === 'OUTGOING' &&
  message.client?.clientType !== 'INTEGRATION' &&
  normaliseAgentActorId(message.senders[0]?.actorId ?? message.createdBy) !== undefined

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
