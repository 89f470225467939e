// The hitl plugin activates a session only after startHitl has returned (plus a few Botpress calls),
// and silently drops hitlAssigned and agent messages until then. HubSpot routing can assign a new
// thread, and an agent can reply, within that window. So an event of a session that is starting
// waits until the plugin has had time to activate it, or, if startHitl is still running, makes
// HubSpot deliver it again.
import * as env from '../../env'
import type { ConversationTagValues } from '../../types'
import type { Deps } from '../context'
import type { Session } from './sessions'

export class SessionStartingError extends Error {
  readonly name = 'SessionStartingError'
  constructor(conversationId: string | undefined) {
    super(`HITL session ${conversationId ?? '(thread not named yet)'} is still starting`)
  }
}

const POLL_MS = 250
// A conversation left "opening" longer than this belongs to a startHitl that died.
const OPENING_LIMIT_MS = 2 * 60_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const readTags = async (deps: Deps, conversationId: string): Promise<ConversationTagValues | undefined> => {
  try {
    return (await deps.client.getConversation({ id: conversationId })).conversation.tags as ConversationTagValues
  } catch {
    return undefined
  }
}

// Returns once the plugin can be expected to see an event of the session; throws
// SessionStartingError (answered 503) when startHitl is still running after a short wait.
export const awaitPluginActivation = async (deps: Deps, session: Session): Promise<void> => {
  // Sessions an earlier version started carry neither tag: they are long active.
  if (!session.tags.readyAt && session.tags.opening === undefined) return
  let readyAt = Number(session.tags.readyAt || 0)
  const deadline = Date.now() + env.sessionStartWaitMs()
  while (!readyAt && Date.now() < deadline) {
    await sleep(POLL_MS)
    readyAt = Number((await readTags(deps, session.conversationId))?.readyAt || 0)
  }
  if (!readyAt) throw new SessionStartingError(session.conversationId)
  const wait = readyAt + env.pluginActivationGraceMs() - Date.now()
  if (wait > 0) {
    deps.logger.debug(`Holding an event of conversation ${session.conversationId} ${wait} ms while the hitl plugin activates it`)
    await sleep(wait)
  }
}

// An event about a thread no session names yet may belong to a startHitl that has not recorded its
// thread: true when such a conversation exists.
export const aSessionIsOpening = async (deps: Deps): Promise<boolean> => {
  const { conversations } = await deps.client.listConversations({ channel: 'hitl', tags: { opening: 'true' } })
  return conversations.some((conversation) => Date.now() - Date.parse(conversation.createdAt) < OPENING_LIMIT_MS)
}

// Whether an event of a thread this young may concern a session the plugin has not activated yet.
export const YOUNG_THREAD_MS = 90_000
