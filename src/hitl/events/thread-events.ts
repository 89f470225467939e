// App webhooks about threads: an agent assigned (hitlAssigned), the thread closed (hitlStopped),
// a closed thread reopened (the agent is told the customer is gone).
import type { AppWebhookEvent } from '../../hubspot/schemas'
import { normaliseAgentActorId, resolveAgentUser } from '../agents'
import type { Deps } from '../context'
import { deliverPendingNotice } from '../notices'
import { flushOwed } from '../outbox'
import { publishContent, threadAddressFromTags } from '../publish'
import { deliverRepliesBeforeClose } from './agent-message'
import { aSessionIsOpening, awaitPluginActivation, SessionStartingError } from './readiness'
import { withSessionLock } from './session-lock'
import { findSessionByThread, wasClosedHere, type Session } from './sessions'

// The session of a thread event, once the hitl plugin can see its events; an event about a thread
// no session names yet, while a startHitl is still opening one, is asked to be delivered again.
const liveSessionOf = async (deps: Deps, threadId: string): Promise<Session | undefined> => {
  const session = await findSessionByThread(deps, threadId)
  if (!session) {
    if (await aSessionIsOpening(deps)) throw new SessionStartingError(undefined)
    return undefined
  }
  if (!isClosed(session)) await awaitPluginActivation(deps, session)
  return session
}

export type Outcome = string

export const NOT_A_HITL_THREAD: Outcome = 'ignored: not a HITL thread'

// A process may die after emitting an event and before recording it in the session's tags; HubSpot
// then delivers the webhook again. The conversation's own events say whether it was emitted (the
// platform may prefix the type with the integration's name).
const emittedSince = async (deps: Deps, conversationId: string, type: 'hitlAssigned' | 'hitlStopped', since: number): Promise<Record<string, unknown>[]> => {
  const { events } = await deps.client.listEvents({ conversationId })
  return events
    .filter((event) => (event.type === type || event.type.endsWith(`:${type}`)) && Date.parse(event.createdAt) >= since)
    .map((event) => event.payload as Record<string, unknown>)
}

const isClosed = (session: Session) => session.tags.closed === 'true'

// The event's work on a live session runs under the session's lock, with the session read again
// once the lock is held: a duplicate handled by another process meanwhile is then seen.
const withLiveSession = async (deps: Deps, threadId: string, work: (session: Session) => Promise<Outcome>): Promise<Outcome> => {
  const seen = await liveSessionOf(deps, threadId)
  if (!seen) return NOT_A_HITL_THREAD
  if (isClosed(seen)) return work(seen)
  return withSessionLock(deps, seen.conversationId, async () => work((await findSessionByThread(deps, threadId)) ?? seen))
}

export const handleAssignment = (deps: Deps, event: AppWebhookEvent): Promise<Outcome> =>
  withLiveSession(deps, event.objectId, (session) => applyAssignment(deps, event, session))

const applyAssignment = async (deps: Deps, event: AppWebhookEvent, session: Session): Promise<Outcome> => {
  if (isClosed(session)) return 'ignored: session already ended'
  const lastApplied = Number(session.tags.assignedAt || 0)
  if (event.occurredAt < lastApplied) return 'ignored: older than the assignment already applied'

  const actorId = normaliseAgentActorId(event.propertyValue)
  if (!actorId) {
    await deps.client.updateConversation({ id: session.conversationId, tags: { assignedActorId: '', assignedAt: String(event.occurredAt) } })
    return 'unassigned'
  }
  if (actorId === session.tags.assignedActorId) return 'ignored: agent already assigned'

  const userId = await resolveAgentUser(deps, actorId, { refresh: true })
  const emitted = await emittedSince(deps, session.conversationId, 'hitlAssigned', event.occurredAt)
  if (!emitted.some((payload) => payload.userId === userId)) {
    await deps.client.createEvent({ type: 'hitlAssigned', conversationId: session.conversationId, payload: { conversationId: session.conversationId, userId } })
  }
  await deps.client.updateConversation({ id: session.conversationId, tags: { assignedActorId: actorId, assignedAt: String(event.occurredAt) } })
  await deliverPendingNotice(deps, session.conversationId, session.tags)
  await flushOwed(deps, session.conversationId, session.tags)
  deps.logger.info(`Agent ${actorId} assigned to conversation ${session.conversationId}`)
  return 'agent assigned'
}

// The session ends once, whoever ends it: the agent's close, a deleted or archived thread.
const endSession = async (deps: Deps, session: Session, why: string): Promise<Outcome> => {
  // Each session has a conversation of its own, so any hitlStopped on it ended this session.
  if ((await emittedSince(deps, session.conversationId, 'hitlStopped', 0)).length === 0) {
    await deps.client.createEvent({ type: 'hitlStopped', conversationId: session.conversationId, payload: { conversationId: session.conversationId } })
  }
  await deps.client.updateConversation({ id: session.conversationId, tags: { closed: 'true' } })
  deps.logger.info(`HITL session ended (${why}): conversation ${session.conversationId}`)
  return 'session stopped'
}

// conversation.deletion, or a status other than OPEN and CLOSED (HubSpot's official integration
// treats ARCHIVED as the end too): the thread is gone, so is the session.
export const handleThreadGone = (deps: Deps, event: AppWebhookEvent): Promise<Outcome> =>
  withLiveSession(deps, event.objectId, async (session) => {
    if (isClosed(session)) return 'ignored: session already ended'
    return endSession(deps, session, event.subscriptionType === 'conversation.deletion' ? 'thread deleted' : `thread ${event.propertyValue ?? 'archived'}`)
  })

export const handleStatusChange = async (deps: Deps, event: AppWebhookEvent): Promise<Outcome> => {
  const status = event.propertyValue?.trim().toUpperCase()
  if (!status || !/^[A-Z_]+$/.test(status)) return `ignored: status ${status ? 'malformed' : 'empty'}`
  if (status !== 'CLOSED' && status !== 'OPEN') return handleThreadGone(deps, event)
  if (status === 'CLOSED' && wasClosedHere(deps.ctx.integrationId, event.objectId)) return 'ignored: closed by the bot'
  return withLiveSession(deps, event.objectId, (session) => applyStatus(deps, event, session, status))
}

const applyStatus = async (deps: Deps, event: AppWebhookEvent, session: Session, status: 'OPEN' | 'CLOSED'): Promise<Outcome> => {
  if (status === 'CLOSED') {
    // Our own stopHitl marks the session closed before closing the thread, so its echo stops here.
    if (isClosed(session)) return 'ignored: session already ended'
    if (session.tags.channelId) await deliverRepliesBeforeClose(deps, session.conversationId, event.objectId, session.tags.channelId)
    // The agent sees, in the closed thread, what the customer wrote while HubSpot was failing.
    await flushOwed(deps, session.conversationId, session.tags)
    return endSession(deps, session, 'the agent closed the thread')
  }

  if (!isClosed(session)) return 'ignored: session still open'
  const thread = threadAddressFromTags(deps, session.conversationId, session.tags)
  if (!thread) return 'ignored: incomplete session'
  await publishContent(deps, thread, {
    from: 'bot',
    content: { text: deps.texts.reopenedAfterEnd, files: [] },
    idempotencyKey: `${session.conversationId}:reopened:${event.occurredAt}`,
  })
  return 'agent told the session has ended'
}
