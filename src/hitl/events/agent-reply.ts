// An agent replied in HubSpot (OUTGOING_CHANNEL_MESSAGE_CREATED): the reply reaches the customer as
// the agent's Botpress user, in the order the agent wrote, once (agent-message.ts). The hitl plugin
// drops messages of a session it has not activated yet, so a reply that comes earlier waits, within
// the webhook's time, for the plugin; if that is not enough (the escalation is still being written),
// the session records that replies are held and the session's next work delivers them.
import type { OutgoingMessageEvent } from '../../hubspot/schemas'
import type { Deps } from '../context'
import { findSessionByThread, loadSession, setRepliesPending } from '../session'
import { drain, awaitActivation } from '../session-work'
import { deliverReply, isAgentReply, report } from './agent-message'
import { NOT_A_HITL_THREAD, type Outcome } from './outcome'

export const handleAgentReply = async (
  deps: Deps,
  event: OutgoingMessageEvent,
  setupChannelId: string | undefined
): Promise<Outcome> => {
  const { message } = event
  if (!isAgentReply(message)) return 'ignored: not an agent reply'
  const channelId = message.channelId ?? event.channelId ?? setupChannelId
  if (!channelId) return 'ignored: no channel ID'
  if (setupChannelId && channelId !== setupChannelId) return 'ignored: another channel'

  // startHitl used the Botpress conversation ID as integrationThreadId; older threads are looked up.
  const conversationId = event.channelIntegrationThreadIds[0]
  const found = conversationId
    ? await loadSession(deps, conversationId)
    : await findSessionByThread(deps, message.conversationsThreadId)
  if (!found) {
    if (!conversationId) return NOT_A_HITL_THREAD
    await report(deps, message, channelId, { delivered: false, errorMessage: deps.texts.sessionEnded })
    return 'refused: session ended'
  }
  const { session, active } = await awaitActivation(deps, found)
  if (!active && session.phase !== 'closed') {
    await setRepliesPending(deps, session.conversationId, true)
    await drain(deps, session.conversationId)
    return 'held: delivered once the plugin sees the session'
  }
  // What the customer wrote while HubSpot failed goes out before the agent reads on.
  if (session.owes) await drain(deps, session.conversationId, { waitMs: Number.POSITIVE_INFINITY })
  return deliverReply(deps, session, message, channelId)
}
