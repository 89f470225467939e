// Telling the customer something the agent cannot (a file of theirs that did not reach HubSpot, a
// message HubSpot refused). The hitl plugin forwards to the customer what a user other than the bot
// writes on the hitl conversation, and takes the first such author for the agent when none is
// assigned yet: so a notice goes out at once when an agent is assigned, and otherwise waits, kept
// on the customer's message it is about, until the assignment is applied.
import type { Deps } from './context'
import {
  loadSession,
  markMessage,
  messagesWithPendingNotice,
  noticeKey,
  noticeOf,
  setNoticesPending,
  type Session,
} from './session'

const MAX_NOTICE_CHARS = 400

// Posted once per message it is about, whoever posts it: get-or-create keyed by that message.
export const postNotice = async (
  deps: Pick<Deps, 'client' | 'texts'>,
  conversationId: string,
  text: string,
  aboutMessageId: string
): Promise<void> => {
  const { user } = await deps.client.getOrCreateUser({
    tags: { kind: 'notice' },
    name: deps.texts.noticeSenderName,
    discriminateByTags: ['kind'],
  })
  await deps.client.getOrCreateMessage({
    conversationId,
    userId: user.id,
    type: 'text',
    payload: { text },
    ...noticeKey(aboutMessageId, text),
  })
}

// `aboutMessageId` is the customer's Botpress message the notice is about: while no agent is
// assigned, the notice waits on that message's tags (no list shared between processes).
// `now`: the session is ending, so there is no assignment left to wait for.
export const tellCustomer = async (
  deps: Deps,
  session: Session,
  aboutMessageId: string,
  text: string,
  options?: { now: boolean }
): Promise<void> => {
  if ((session.agent?.actorId && session.agentKnownToPlugin) || options?.now) {
    await postNotice(deps, session.conversationId, text, aboutMessageId)
    await markMessage(deps, aboutMessageId, { noticeState: 'told' })
    return
  }
  await markMessage(deps, aboutMessageId, { notice: text.slice(0, MAX_NOTICE_CHARS), noticeState: 'pending' })
  await setNoticesPending(deps, session.conversationId, true)
  // A session that ended meanwhile has no assignment left to wait for: whoever ended it told what
  // was pending then (after marking it ended), and this is told now.
  const now = await loadSession(deps, session.conversationId)
  if (now?.phase === 'closed') await deliverPendingNotices(deps, now)
}

// Under the session's lock, once an agent is assigned and the plugin sees the session; or as the
// session ends.
export const deliverPendingNotices = async (deps: Deps, session: Session): Promise<void> => {
  await setNoticesPending(deps, session.conversationId, false)
  for (const message of await messagesWithPendingNotice(deps, session.conversationId)) {
    const text = noticeOf(message)
    if (text) await postNotice(deps, session.conversationId, text, message.id)
    await markMessage(deps, message.id, { noticeState: 'told' })
  }
}
