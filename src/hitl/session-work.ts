// Work on a session that must happen once, whichever process does it: applying an assignment
// (hitlAssigned), delivering replies and notices the plugin could not see yet, sending what the
// customer is owed, and ending the session (hitlStopped). Events record what they ask for in the
// session's tags (session.ts), then `drain` settles everything recorded under the session's lock.
// A process that finds the lock taken leaves its request recorded and answers at once: the holder
// looks at the tags again after releasing the lock and settles what was added meanwhile. So no
// event waits for another process, and none needs HubSpot to deliver it again.
import { setTimeout as sleep } from 'node:timers/promises'
import * as env from '../env'
import { activationOf } from './activation'
import { normaliseAgentActorId, resolveAgentUser } from './agents'
import type { Deps } from './context'
import { catchUpReplies, deliverRepliesBeforeClose } from './events/agent-message'
import { deliverPendingNotices } from './notices'
import { flushOwed } from './outbox'
import {
  applyAssignment,
  loadSession,
  markClosed,
  releaseLock,
  sessionsWithPendingWork,
  setRepliesPending,
  tryLock,
  type Session,
} from './session'

// A process may die after emitting an event and before recording it in the session's tags; the
// conversation's own events say whether it was emitted (the platform may prefix the type).
const emittedSince = async (
  deps: Deps,
  conversationId: string,
  type: 'hitlAssigned' | 'hitlStopped',
  since: number
) => {
  const { events } = await deps.client.listEvents({ conversationId })
  return events
    .filter((event) => (event.type === type || event.type.endsWith(`:${type}`)) && Date.parse(event.createdAt) >= since)
    .map((event) => event.payload as Record<string, unknown>)
}

// hitlAssigned reaches the plugin once it sees the session: at once, or scheduled for then.
const emitWhenSeen = async (
  deps: Deps,
  session: Session,
  type: 'hitlAssigned' | 'hitlStopped',
  payload: Record<string, string>
): Promise<void> => {
  const activation = activationOf(session)
  const delay = activation.state === 'activates' ? activation.at - Date.now() : 0
  await deps.client.createEvent({
    type,
    conversationId: session.conversationId,
    payload: payload as never,
    ...(delay > 0 && { schedule: { delay } }),
  })
}

const settleAssignment = async (deps: Deps, session: Session): Promise<string | undefined> => {
  const pending = session.assignmentToApply
  if (!pending) return undefined
  const actorId = normaliseAgentActorId(pending.actorId)
  if (!actorId || actorId === session.agent?.actorId) {
    await applyAssignment(deps, session, { actorId, occurredAt: pending.occurredAt })
    return actorId ? 'ignored: agent already assigned' : 'unassigned'
  }
  const userId = await resolveAgentUser(deps, actorId, { refresh: true })
  const emitted = await emittedSince(deps, session.conversationId, 'hitlAssigned', pending.occurredAt)
  if (!emitted.some((payload) => payload.userId === userId)) {
    await emitWhenSeen(deps, session, 'hitlAssigned', { conversationId: session.conversationId, userId })
  }
  await applyAssignment(deps, session, { actorId, occurredAt: pending.occurredAt })
  deps.logger.info(`Agent ${actorId} assigned to conversation ${session.conversationId}`)
  return 'agent assigned'
}

const settleClose = async (deps: Deps, session: Session): Promise<string | undefined> => {
  const request = session.closeToApply
  if (!request || session.phase === 'closed') return undefined
  const active = activationOf(session).state === 'active'
  // Replies the agent wrote before closing whose webhooks have not come yet go first.
  if (active && session.channelId && session.threadId) {
    await deliverRepliesBeforeClose(deps, session, session.threadId, session.channelId)
  }
  // What the customer wrote while HubSpot was failing is not published into the closed thread,
  // and what the customer was to be told once an agent came is told now, before the hand-back.
  if (session.owes) await flushOwed(deps, session, { threadClosed: true })
  if (session.holdsNotices) await deliverPendingNotices(deps, session)
  // Each session has a conversation of its own, so any hitlStopped on it ended this session.
  if ((await emittedSince(deps, session.conversationId, 'hitlStopped', 0)).length === 0) {
    await emitWhenSeen(deps, session, 'hitlStopped', { conversationId: session.conversationId })
  }
  await markClosed(deps, session.conversationId)
  await reportWhatCameLate(deps, session)
  deps.logger.info(`HITL session ended (${request.why}): conversation ${session.conversationId}`)
  return 'session stopped'
}

// Once a session is marked ended: a customer message owed, or a notice recorded, while it was
// ending is reported now (their writers look again once they recorded them, so one of the two
// sees the other; a notice is posted once whoever posts it).
export const reportWhatCameLate = async (deps: Deps, session: Session): Promise<void> => {
  await flushOwed(deps, session, { threadClosed: true })
  await deliverPendingNotices(deps, session)
}

// Everything recorded on the session, in the order the customer should see it: the agent joins,
// replies and notices held back reach the customer, owed messages reach the agent, then the end.
const settle = async (deps: Deps, loaded: Session): Promise<string[]> => {
  const outcomes: string[] = []
  let session = loaded
  if (session.phase === 'closed' && (session.owes || session.holdsNotices)) await reportWhatCameLate(deps, session)
  if (session.phase === 'opening' || session.phase === 'closed') return outcomes
  const assignment = await settleAssignment(deps, session)
  if (assignment) {
    outcomes.push(assignment)
    session = (await loadSession(deps, session.conversationId)) ?? session
  }
  const active = activationOf(session).state === 'active'
  if (active && assignment === 'agent assigned' && session.holdsNotices) {
    session = await awaitAgentKnownToPlugin(deps, session)
  }
  if (active && session.holdsReplies && !session.closeToApply) {
    // Cleared first: a reply recorded after this read sets it again, and is seen after the release.
    await setRepliesPending(deps, session.conversationId, false)
    const delivered = await catchUpReplies(deps, session)
    if (delivered > 0) outcomes.push(`${delivered} held reply(ies) delivered`)
  }
  if (active && session.holdsNotices && pluginKnowsTheAgent(session)) await deliverPendingNotices(deps, session)
  if (session.owes && !session.closeToApply) {
    if ((await flushOwed(deps, session, { threadClosed: false })) === 'still owed') {
      outcomes.push('customer messages still owed')
    }
  }
  const closed = await settleClose(deps, session)
  if (closed) outcomes.push(closed)
  return outcomes
}

// A notice comes from a user of its own; the plugin takes the author of the first message on an
// unassigned session for its agent. So notices wait until the plugin has recorded the agent HubSpot
// assigned (its humanAgentId tag), or, where that tag cannot be read, until the assignment is older
// than NOTICE_AFTER_ASSIGNMENT_MS.
const NOTICE_AFTER_ASSIGNMENT_MS = 10_000
const pluginKnowsTheAgent = (session: Session): boolean =>
  !!session.agent?.actorId &&
  (!!session.agentKnownToPlugin || Date.now() - session.agent.occurredAt > NOTICE_AFTER_ASSIGNMENT_MS)

// Right after hitlAssigned, the customer's pending notices wait (briefly) for the plugin to record
// the agent.
const awaitAgentKnownToPlugin = async (deps: Deps, session: Session): Promise<Session> => {
  let current = session
  const until = Math.min(Date.now() + 2_000, deps.deadline - env.deadlineMarginMs())
  while (!current.agentKnownToPlugin && Date.now() + 150 < until) {
    await sleep(150)
    current = (await loadSession(deps, current.conversationId)) ?? current
  }
  return current
}

export const hasWork = (session: Session): boolean =>
  session.phase === 'ready' &&
  (!!session.assignmentToApply ||
    !!session.closeToApply ||
    session.owes ||
    (session.holdsReplies && activationOf(session).state === 'active') ||
    (session.holdsNotices && pluginKnowsTheAgent(session)))

export type DrainResult = { ran: true; outcomes: string[] } | { ran: false }

const acquire = async (deps: Deps, conversationId: string, waitMs: number) => {
  const until = Math.min(Date.now() + waitMs, deps.deadline - env.deadlineMarginMs())
  for (;;) {
    const lock = await tryLock(deps, conversationId)
    if (lock || Date.now() + 150 > until) return lock
    await sleep(150)
  }
}

// Settles what is recorded on the session, if no other process is doing it (or, with `waitMs`,
// once it is done); then looks again after releasing the lock, for what other processes recorded
// while it was held.
export const drain = async (
  deps: Deps,
  conversationId: string,
  options?: { waitMs?: number }
): Promise<DrainResult> => {
  const outcomes: string[] = []
  let ran = false
  for (let round = 0; round < 4; round++) {
    if (round > 0) {
      const again = await loadSession(deps, conversationId)
      if (!again || !hasWork(again) || Date.now() > deps.deadline - env.deadlineMarginMs()) break
    }
    const lock = await acquire(deps, conversationId, round === 0 ? (options?.waitMs ?? 0) : 0)
    if (!lock) break
    ran = true
    try {
      const session = await loadSession(deps, conversationId)
      if (session) outcomes.push(...(await settle(deps, session)))
    } finally {
      await releaseLock(deps, lock)
    }
  }
  return ran ? { ran: true, outcomes } : { ran: false }
}

// The safety net behind every other trigger: register runs again every hour
// (scheduleRegisterCall), and settles what sessions still hold (a quiet customer's owed messages,
// replies held for the plugin, notices), within register's time.
export const sweepSessions = async (deps: Deps): Promise<number> => {
  let settled = 0
  for (const session of await sessionsWithPendingWork(deps)) {
    if (Date.now() > deps.deadline - env.deadlineMarginMs() * 4) break
    try {
      if ((await drain(deps, session.conversationId)).ran) settled++
    } catch (error) {
      deps.logger.warn(
        `Conversation ${session.conversationId} still holds work for its next event (${error instanceof Error ? error.message : 'error'})`
      )
    }
  }
  return settled
}
