// The HITL session: the one module that reads and writes a session's state. A session is the
// Botpress conversation startHitl creates on channel `hitl`; its state rides on that conversation's
// tags (so a customer message needs no lookup), on its messages' tags (what each message owes), and
// on one conversation state, the lock.
//
// Many short-lived processes run at once, so every transition is exact under concurrency:
// - a transition that sets one fact writes only its own tag keys (Botpress merges tags per key);
// - work that reads the state and acts on it (emitting an event, sending what is owed, ending the
//   session) runs under the session's lock, taken with getOrSetState (atomic: the first writer wins)
//   and released only by its owner;
// - an event that finds the lock taken records what it asks for in the tags first and leaves it to
//   the holder, which looks at the tags again after releasing (see `drainWith` in session-work.ts).
// Tag names appear here and in definitions/ only.
import { createHash, randomUUID } from 'node:crypto'
import * as env from '../env'
import type { DeliveryIdentifier } from '../hubspot/schemas'
import type { ConversationTagValues } from '../types'
import { isNotFound, type Deps } from './context'
import { isDeliveryType, type ThreadAddress } from './thread-address'

export type Phase = 'opening' | 'ready' | 'closed'

export type Assignment = { actorId: string | undefined; occurredAt: number }

export type CloseRequest = { occurredAt: number; why: string }

// A thread address (publish.ts) whose customer may have no display name yet.
export type SessionAddress = Omit<ThreadAddress, 'customer'> & {
  customer: { deliveryIdentifier: DeliveryIdentifier; name: string | undefined }
}

export type Session = {
  conversationId: string
  phase: Phase
  threadId: string | undefined
  channelId: string | undefined
  inboxId: string | undefined
  customerBotpressUserId: string | undefined
  // Where customer messages go; undefined until HubSpot named the thread.
  address: SessionAddress | undefined
  // The assignment last applied (the agent the plugin was told of), and one recorded but not applied yet.
  agent: Assignment | undefined
  assignmentToApply: Assignment | undefined
  closeToApply: CloseRequest | undefined
  startedAt: number | undefined
  // The hitl plugin links the conversation (a tag `<plugin alias>#upstream`) just before activating it.
  linkedByPlugin: boolean
  // The Botpress user the plugin recorded as the session's agent (tag `<alias>#humanAgentId`).
  agentKnownToPlugin: string | undefined
  // Started by a version that recorded neither `opening` nor `readyAt`: long active.
  startedByEarlierVersion: boolean
  owes: boolean
  holdsReplies: boolean
  holdsNotices: boolean
}

const assignmentFrom = (value: string | undefined): Assignment | undefined => {
  const match = /^(\d+)\|(A-\d+)?$/.exec(value ?? '')
  return match ? { occurredAt: Number(match[1]), actorId: match[2] || undefined } : undefined
}

const closeFrom = (value: string | undefined): CloseRequest | undefined => {
  const match = /^(\d+)\|(.+)$/.exec(value ?? '')
  return match ? { occurredAt: Number(match[1]), why: match[2]! } : undefined
}

// The typed session of a conversation's tags (exported for tests).
export const sessionFromTags = (conversationId: string, tags: Record<string, string | undefined>): Session => {
  const t = tags as ConversationTagValues
  const threadId = t.hubspotThreadId || undefined
  const { channelId, channelAccountId, inboxId, deliveryType, deliveryValue } = t
  const address =
    threadId && channelId && channelAccountId && inboxId && isDeliveryType(deliveryType) && deliveryValue
      ? {
          channelId,
          channelAccountId,
          inboxId,
          integrationThreadId: conversationId,
          customer: {
            deliveryIdentifier: { type: deliveryType, value: deliveryValue },
            name: t.customerName || undefined,
          },
          contactId: t.contactId || undefined,
        }
      : undefined
  const closed = t.closed === 'true'
  const readyAt = Number(t.readyAt) || undefined
  const startedByEarlierVersion = !readyAt && t.opening === undefined
  const phase: Phase = closed ? 'closed' : readyAt || (startedByEarlierVersion && threadId) ? 'ready' : 'opening'
  const agentActorId = t.assignedActorId || undefined
  const agentAt = Number(t.assignedAt) || 0
  // The last assignment recorded is pending while it is newer than the one applied: applying one
  // never clears a record, so a newer one recorded meanwhile by another process stays pending.
  const recorded = assignmentFrom(t.pendingAssignment)
  return {
    conversationId,
    phase,
    threadId,
    channelId: channelId || undefined,
    inboxId: inboxId || undefined,
    customerBotpressUserId: t.customerUserId || undefined,
    address,
    agent: agentActorId || agentAt ? { actorId: agentActorId, occurredAt: agentAt } : undefined,
    assignmentToApply: recorded && recorded.occurredAt > agentAt ? recorded : undefined,
    closeToApply: closeFrom(t.closeRequested),
    startedAt: readyAt,
    linkedByPlugin: Object.entries(tags).some(([key, value]) => key.endsWith('#upstream') && !!value),
    agentKnownToPlugin: Object.entries(tags).find(([key, value]) => key.endsWith('#humanAgentId') && !!value)?.[1],
    startedByEarlierVersion,
    owes: t.outboxPending === 'true',
    holdsReplies: t.repliesPending === 'true',
    holdsNotices: t.noticesPending === 'true',
  }
}

const write = async (
  deps: Pick<Deps, 'client'>,
  conversationId: string,
  tags: ConversationTagValues
): Promise<void> => {
  await deps.client.updateConversation({ id: conversationId, tags: tags as Record<string, string> })
}

// Loading

export const loadSession = async (deps: Pick<Deps, 'client'>, conversationId: string): Promise<Session | undefined> => {
  try {
    const { conversation } = await deps.client.getConversation({ id: conversationId })
    if (conversation.channel !== 'hitl') return undefined
    return sessionFromTags(conversation.id, conversation.tags)
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

export const findSessionByThread = async (
  deps: Pick<Deps, 'client'>,
  threadId: string
): Promise<Session | undefined> => {
  const { conversations } = await deps.client.listConversations({
    channel: 'hitl',
    tags: { hubspotThreadId: threadId },
  })
  const conversation = conversations[0]
  return conversation ? sessionFromTags(conversation.id, conversation.tags) : undefined
}

// Sessions whose startHitl has not recorded a thread yet, started within `withinMs`.
export const openingSessions = async (deps: Pick<Deps, 'client'>, withinMs: number): Promise<Session[]> => {
  const { conversations } = await deps.client.listConversations({ channel: 'hitl', tags: { opening: 'true' } })
  return conversations
    .filter((conversation) => Date.now() - Date.parse(conversation.createdAt) < withinMs)
    .map((conversation) => sessionFromTags(conversation.id, conversation.tags))
}

// Sessions with work recorded but not done: what the periodic sweep completes.
export const sessionsWithPendingWork = async (deps: Pick<Deps, 'client'>): Promise<Session[]> => {
  const found = new Map<string, Session>()
  for (const tags of [{ outboxPending: 'true' }, { repliesPending: 'true' }, { noticesPending: 'true' }]) {
    const { conversations } = await deps.client.listConversations({ channel: 'hitl', tags })
    for (const conversation of conversations) {
      found.set(conversation.id, sessionFromTags(conversation.id, conversation.tags))
    }
  }
  return [...found.values()].filter(
    (session) => session.phase === 'ready' || (session.phase === 'closed' && (session.owes || session.holdsNotices))
  )
}

// Transitions

export type OpeningFacts = {
  channelId: string
  channelAccountId: string
  inboxId: string
  customer: { botpressUserId: string; displayName: string; delivery: DeliveryIdentifier }
  contactId?: string
}

// startHitl: the conversation exists before HubSpot names the thread.
export const openSession = async (deps: Pick<Deps, 'client'>, facts: OpeningFacts): Promise<string> => {
  const tags: ConversationTagValues = {
    channelId: facts.channelId,
    channelAccountId: facts.channelAccountId,
    inboxId: facts.inboxId,
    customerUserId: facts.customer.botpressUserId,
    customerName: facts.customer.displayName,
    deliveryType: facts.customer.delivery.type,
    deliveryValue: facts.customer.delivery.value,
    opening: 'true',
    closed: 'false',
    ...(facts.contactId && { contactId: facts.contactId }),
  }
  const { conversation } = await deps.client.createConversation({
    channel: 'hitl',
    tags: tags as Record<string, string>,
  })
  return conversation.id
}

export const recordThread = (deps: Pick<Deps, 'client'>, conversationId: string, threadId: string) =>
  write(deps, conversationId, { hubspotThreadId: threadId, opening: 'false' })

export const markReady = (deps: Pick<Deps, 'client'>, conversationId: string, at = Date.now()) =>
  write(deps, conversationId, { readyAt: String(at) })

export const abandonOpening = async (deps: Pick<Deps, 'client'>, conversationId: string): Promise<void> => {
  await deps.client.deleteConversation({ id: conversationId }).catch(() => undefined)
}

const assignmentValue = (assignment: Assignment) => `${assignment.occurredAt}|${assignment.actorId ?? ''}`

// An assignment HubSpot reported, kept until it is applied (an older one than what is known is not).
export const recordAssignment = async (
  deps: Pick<Deps, 'client'>,
  session: Session,
  assignment: Assignment
): Promise<boolean> => {
  if (session.agent && assignment.occurredAt <= session.agent.occurredAt) return false
  if (session.assignmentToApply && assignment.occurredAt < session.assignmentToApply.occurredAt) return false
  await write(deps, session.conversationId, { pendingAssignment: assignmentValue(assignment) })
  return true
}

// Under the lock: the assignment is now what the plugin knows.
export const applyAssignment = (deps: Pick<Deps, 'client'>, session: Session, assignment: Assignment) =>
  write(deps, session.conversationId, {
    assignedActorId: assignment.actorId ?? '',
    assignedAt: String(assignment.occurredAt),
  })

export const recordCloseRequest = async (
  deps: Pick<Deps, 'client'>,
  session: Session,
  request: CloseRequest
): Promise<boolean> => {
  if (session.phase === 'closed' || session.closeToApply) return false
  await write(deps, session.conversationId, { closeRequested: `${request.occurredAt}|${request.why}` })
  return true
}

export const markClosed = (deps: Pick<Deps, 'client'>, conversationId: string) =>
  write(deps, conversationId, { closed: 'true' })

export const setRepliesPending = (deps: Pick<Deps, 'client'>, conversationId: string, pending: boolean) =>
  write(deps, conversationId, { repliesPending: String(pending) })

export const setOwes = (deps: Pick<Deps, 'client'>, conversationId: string, owes: boolean) =>
  write(deps, conversationId, { outboxPending: String(owes) })

export const setNoticesPending = (deps: Pick<Deps, 'client'>, conversationId: string, pending: boolean) =>
  write(deps, conversationId, { noticesPending: String(pending) })

// Per-message state: each customer message of the session says whether it reached HubSpot, and
// each holds what the customer is still to be told about it. No list is shared between processes.
export type MessageDelivery = 'owed' | 'sent' | 'reported'

export const messageTagsFor = (facts: {
  hubspotMessageId?: string
  delivery?: MessageDelivery
  notice?: string
  noticeState?: 'pending' | 'told'
}) => ({
  ...(facts.hubspotMessageId !== undefined && { hubspotMessageId: facts.hubspotMessageId }),
  ...(facts.delivery !== undefined && { delivery: facts.delivery }),
  ...(facts.notice !== undefined && { notice: facts.notice }),
  ...(facts.noticeState !== undefined && { noticeState: facts.noticeState }),
})

export const markMessage = async (
  deps: Pick<Deps, 'client'>,
  messageId: string,
  facts: Parameters<typeof messageTagsFor>[0]
): Promise<void> => {
  await deps.client.updateMessage({ id: messageId, tags: messageTagsFor(facts) })
}

type StoredMessage = Awaited<ReturnType<Deps['client']['listMessages']>>['messages'][number]

const listAll = async (
  deps: Pick<Deps, 'client'>,
  conversationId: string,
  tags: Record<string, string>
): Promise<StoredMessage[]> => {
  const messages: StoredMessage[] = []
  let nextToken: string | undefined
  for (let page = 0; page < 20; page++) {
    const result = await deps.client.listMessages({ conversationId, tags, nextToken })
    messages.push(...result.messages)
    nextToken = result.meta.nextToken
    if (!nextToken) break
  }
  // Oldest first, as the customer wrote them.
  return messages.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id.localeCompare(b.id))
}

export const owedMessages = (deps: Pick<Deps, 'client'>, conversationId: string) =>
  listAll(deps, conversationId, { delivery: 'owed' })

export const messagesWithPendingNotice = (deps: Pick<Deps, 'client'>, conversationId: string) =>
  listAll(deps, conversationId, { noticeState: 'pending' })

export const noticeOf = (message: { tags: Record<string, string | undefined> }): string | undefined =>
  message.tags.notice || undefined

export const reachedBotpress = async (
  deps: Pick<Deps, 'client'>,
  conversationId: string,
  hubspotMessageId: string
): Promise<boolean> =>
  (await deps.client.listMessages({ conversationId, tags: { hubspotMessageId } })).messages.length > 0

// The tags that make a notice the one notice about a customer message (get-or-create): however
// many processes tell it, the customer reads it once.
export const noticeKey = (aboutMessageId: string, text: string) => ({
  tags: { noticeFor: `${aboutMessageId}:${createHash('sha256').update(text).digest('hex').slice(0, 12)}` },
  discriminateByTags: ['noticeFor'] as ['noticeFor'],
})

// The tags that make an agent's Botpress message the copy of one HubSpot message (get-or-create).
export const agentMessageKey = (hubspotMessageId: string) => ({
  tags: { hubspotMessageId },
  discriminateByTags: ['hubspotMessageId'] as ['hubspotMessageId'],
})

// The lock. Its payload names the owner; it expires on its own so a process that dies holding it
// blocks nobody for long. Released only by its owner (read, compare, clear: a lock that expired
// and was taken by another process meanwhile is left to that process).

export type Lock = { owner: string; conversationId: string }

export const tryLock = async (deps: Pick<Deps, 'client'>, conversationId: string): Promise<Lock | undefined> => {
  const owner = randomUUID()
  const { state } = await deps.client.getOrSetState({
    type: 'conversation',
    id: conversationId,
    name: 'lock',
    payload: { owner },
    expiry: env.sessionLockExpiryMs(),
  })
  return (state.payload as { owner?: string }).owner === owner ? { owner, conversationId } : undefined
}

export const releaseLock = async (deps: Pick<Deps, 'client'>, lock: Lock): Promise<void> => {
  try {
    const { state } = await deps.client.getState({ type: 'conversation', id: lock.conversationId, name: 'lock' })
    if ((state.payload as { owner?: string } | null)?.owner !== lock.owner) return
    await deps.client.setState({ type: 'conversation', id: lock.conversationId, name: 'lock', payload: null })
  } catch (error) {
    if (!isNotFound(error)) throw error
  }
}
