// Messages the bot sends on the hitl channel: the customer's words (payload.userId names the
// customer) or the plugin's notices (no payload.userId). Everything the publish needs rides on the
// conversation's tags, so the hot path is one HubSpot call and one ack. A message HubSpot does not
// take in time is owed (outbox.ts), not lost; while older ones are owed, it waits behind them.
import type { HitlMessageType, IntegrationProps } from '../types'
import { createDeps } from './context'
import { explain, fail } from './errors'
import { isRefusedForGood, isWorthWaitingFor, owe, reportUndelivered } from './outbox'
import { customerMessageOf, publishBotpressMessage } from './publish'
import { loadSession, messageTagsFor, sessionFromTags } from './session'
import { drain, hasWork } from './session-work'

type ChannelHandlers = IntegrationProps['channels']['hitl']['messages']
type HandlerProps = Parameters<ChannelHandlers[HitlMessageType]>[0]

// How long a customer message waits for another process that is sending what is owed.
const OWED_SENDER_WAIT_MS = 5_000

const forwardToHubSpot = async (props: HandlerProps) => {
  const deps = createDeps(props, 'action')
  let session = sessionFromTags(props.conversation.id, props.conversation.tags)
  if (!session.address) throw fail('notHitlConversation', { conversationId: session.conversationId })
  if (session.phase === 'closed') throw fail('sessionEnded', { conversationId: session.conversationId })
  const message = customerMessageOf({
    id: props.message.id,
    type: props.type,
    payload: props.payload as Record<string, unknown>,
  })

  try {
    if (hasWork(session)) {
      // What HubSpot could not take earlier goes first, so the agent reads everything in order.
      const drained = await drain(deps, session.conversationId, { waitMs: OWED_SENDER_WAIT_MS })
      session = (await loadSession(deps, session.conversationId)) ?? session
      if (!drained.ran || session.owes) return await owe(deps, session, message)
    }
    const hubspotMessageId = await publishBotpressMessage(deps, session, message)
    if (hubspotMessageId) await props.ack({ tags: messageTagsFor({ hubspotMessageId }) })
  } catch (error) {
    if (isWorthWaitingFor(error)) return owe(deps, session, message)
    if (!isRefusedForGood(error)) throw explain(error, 'sending the message to HubSpot', deps)
    // Sending it again cannot help: the customer is told, and the bot builder reads why in the log.
    deps.logger.error(
      `HubSpot refused a customer message of conversation ${session.conversationId}: ${explain(error, 'sending the message to HubSpot', deps).message}`
    )
    await reportUndelivered(deps, session, message, deps.texts.messageRefused)
  }
}

export const hitlChannel: IntegrationProps['channels'] = {
  hitl: {
    messages: {
      text: forwardToHubSpot,
      image: forwardToHubSpot,
      audio: forwardToHubSpot,
      video: forwardToHubSpot,
      file: forwardToHubSpot,
      bloc: forwardToHubSpot,
    },
  },
}
