// App webhooks about threads: an agent assigned (hitlAssigned), the thread closed, deleted or
// archived (hitlStopped), a closed thread reopened (the agent is told the customer is gone).
// Each records what it asks for on the session (session.ts) and lets `drain` settle it under the
// session's lock (session-work.ts): whoever holds the lock settles it, now or right after.
import { setTimeout as sleep } from 'node:timers/promises'
import * as env from '../../env'
import type { AppWebhookEvent } from '../../hubspot/schemas'
import { awaitActivation } from '../activation'
import { normaliseAgentActorId } from '../agents'
import type { Deps } from '../context'
import { publishContent } from '../publish'
import {
  findSessionByThread,
  loadSession,
  openingSessions,
  recordAssignment,
  recordCloseRequest,
  type Session,
} from '../session'
import { drain } from '../session-work'
import { threadAddressOf } from '../thread-address'
import { NOT_A_HITL_THREAD, type Outcome } from './outcome'

// A conversation left "opening" longer than this belongs to a startHitl that died.
const OPENING_LIMIT_MS = 2 * 60_000

// The session of a thread. HubSpot may report a thread before startHitl has recorded it (its first
// message creates the thread, and routing may assign it at once): while a session is opening, the
// lookup is repeated within the webhook's time.
const sessionOfThread = async (deps: Deps, threadId: string): Promise<Session | undefined> => {
  for (;;) {
    const session = await findSessionByThread(deps, threadId)
    if (session) return session
    if (Date.now() + 300 > deps.deadline - env.deadlineMarginMs()) return undefined
    if ((await openingSessions(deps, OPENING_LIMIT_MS)).length === 0) return undefined
    await sleep(200)
  }
}

// Records the request, then settles it: at once when this process gets the session, else by the
// process that holds it. A session still opening is settled when startHitl finishes.
const recordAndDrain = async (
  deps: Deps,
  session: Session,
  record: (session: Session) => Promise<boolean>,
  done: Outcome,
  duplicate: Outcome
): Promise<Outcome> => {
  // Recorded first: from here on, whoever settles the session (startHitl as it finishes, another
  // process) settles this too.
  const recorded = await record(session)
  // startHitl marks the session ready, then looks for what was recorded: read again after
  // recording, and one of the two sees the other.
  const now = session.phase === 'opening' ? await loadSession(deps, session.conversationId) : session
  if (!now || now.phase === 'opening') {
    return recorded ? 'recorded: applied once the plugin sees the session' : duplicate
  }
  // Waiting a moment for the plugin, within the webhook's time, spares a scheduled event.
  const { session: current } = await awaitActivation(deps, now)
  // Waiting for a holder that is alive costs a moment; one that died leaves the lock to expire,
  // and HubSpot delivers the event the dead process never answered again.
  const drained = await drain(deps, current.conversationId, { waitMs: Number.POSITIVE_INFINITY })
  if (!drained.ran) return 'recorded: applied by the process handling the session'
  return recorded ? done : duplicate
}

export const handleAssignment = async (deps: Deps, event: AppWebhookEvent): Promise<Outcome> => {
  const session = await sessionOfThread(deps, event.objectId)
  if (!session) return NOT_A_HITL_THREAD
  if (session.phase === 'closed') return 'ignored: session already ended'
  if (session.agent && event.occurredAt < session.agent.occurredAt) {
    return 'ignored: older than the assignment already applied'
  }
  const assignment = { actorId: normaliseAgentActorId(event.propertyValue), occurredAt: event.occurredAt }
  return recordAndDrain(
    deps,
    session,
    (current) => recordAssignment(deps, current, assignment),
    assignment.actorId ? 'agent assigned' : 'unassigned',
    'ignored: assignment already applied'
  )
}

// conversation.deletion, or a status other than OPEN and CLOSED (HubSpot's official integration
// treats ARCHIVED as the end too): the thread is gone, so is the session.
export const handleThreadGone = async (deps: Deps, event: AppWebhookEvent): Promise<Outcome> =>
  requestClose(
    deps,
    event,
    event.subscriptionType === 'conversation.deletion'
      ? 'thread deleted'
      : `thread ${event.propertyValue ?? 'archived'}`
  )

const requestClose = async (deps: Deps, event: AppWebhookEvent, why: string): Promise<Outcome> => {
  const session = await sessionOfThread(deps, event.objectId)
  if (!session) return NOT_A_HITL_THREAD
  if (session.phase === 'closed') return 'ignored: session already ended'
  const request = { occurredAt: event.occurredAt, why }
  return recordAndDrain(
    deps,
    session,
    (current) => recordCloseRequest(deps, current, request),
    'session stopped',
    'ignored: session already ended'
  )
}

export const handleStatusChange = async (deps: Deps, event: AppWebhookEvent): Promise<Outcome> => {
  const status = event.propertyValue?.trim().toUpperCase()
  if (!status || !/^[A-Z_]+$/.test(status)) return `ignored: status ${status ? 'malformed' : 'empty'}`
  if (status !== 'CLOSED' && status !== 'OPEN') return handleThreadGone(deps, event)
  // Our own stopHitl marks the session closed before closing the thread, so its echo stops here.
  if (status === 'CLOSED') return requestClose(deps, event, 'the agent closed the thread')

  const session = await findSessionByThread(deps, event.objectId)
  if (!session) return NOT_A_HITL_THREAD
  if (session.phase !== 'closed') return 'ignored: session still open'
  if (!session.address) return 'ignored: incomplete session'
  await publishContent(deps, threadAddressOf(deps, session.address), {
    from: 'bot',
    content: { text: deps.texts.reopenedAfterEnd, files: [] },
    idempotencyKey: `${session.conversationId}:reopened:${event.occurredAt}`,
  })
  return 'agent told the session has ended'
}
