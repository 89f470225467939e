// Messages the bot sends on the hitl channel: the customer's words (payload.userId names the
// customer) or the plugin's notices (no payload.userId). Everything the publish needs rides on the
// conversation's tags, so the hot path is one HubSpot call and one ack. A message HubSpot does not
// take in time is owed (outbox.ts), not lost.
import type { ConversationTagValues, HitlMessageType, IntegrationProps } from '../types'
import { createDeps } from './context'
import { explain, fail } from './errors'
import { flushOwed, isWorthWaitingFor, owe, publishBotpressMessage } from './outbox'
import { threadAddressFromTags } from './publish'

type ChannelHandlers = IntegrationProps['channels']['hitl']['messages']
type HandlerProps = Parameters<ChannelHandlers[HitlMessageType]>[0]

const forwardToHubSpot = async (props: HandlerProps) => {
  const deps = createDeps(props, 'action')
  const { conversation, message } = props
  const tags = conversation.tags as ConversationTagValues
  if (!threadAddressFromTags(deps, conversation.id, tags)) throw fail('notHitlConversation', { conversationId: conversation.id })
  if (tags.closed === 'true') throw fail('sessionEnded', { conversationId: conversation.id })
  // Interface 2.1 adds additionalData to every payload; it is meant for the plugin, not the agent.
  const { userId, additionalData: _additionalData, ...payload } = props.payload as Record<string, unknown>
  const senderId = typeof userId === 'string' && userId.length > 0 ? userId : undefined
  const owed = { messageId: message.id, type: props.type, payload, ...(senderId && { senderId }) }

  try {
    // What HubSpot could not take earlier goes first, so the agent reads everything in order.
    if (!(await flushOwed(deps, conversation.id, tags))) return owe(deps, conversation.id, tags, owed)
    const hubspotMessageId = await publishBotpressMessage(deps, conversation.id, tags, owed)
    if (hubspotMessageId) await props.ack({ tags: { hubspotMessageId } })
  } catch (error) {
    if (isWorthWaitingFor(error)) return owe(deps, conversation.id, tags, owed)
    throw explain(error, 'sending the message to HubSpot', deps.connectUrl)
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
