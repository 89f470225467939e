// Messages the bot sends on the hitl channel: the customer's words (payload.userId names the
// customer) or the plugin's notices (no payload.userId). Everything the publish needs rides on the
// conversation's tags, so the hot path is one HubSpot call and one ack.
import type { ConversationTagValues, HitlMessageType, IntegrationProps } from '../types'
import { createDeps } from './context'
import { getCustomer } from './customers'
import { explain, fail } from './errors'
import { toHubSpotContent, type BotpressContent } from './messages'
import { tellCustomer } from './notices'
import { publishContent, threadAddressFromTags, type NotAttached } from './publish'

type ChannelHandlers = IntegrationProps['channels']['hitl']['messages']
type HandlerProps = Parameters<ChannelHandlers[HitlMessageType]>[0]

const forwardToHubSpot = async (props: HandlerProps) => {
  const deps = createDeps(props, 'action')
  const { conversation, message } = props
  const tags = conversation.tags as ConversationTagValues
  const thread = threadAddressFromTags(deps, conversation.id, tags)
  if (!thread) throw fail('notHitlConversation', { conversationId: conversation.id })
  if (tags.closed === 'true') throw fail('sessionEnded', { conversationId: conversation.id })
  // Interface 2.1 adds additionalData to every payload; it is meant for the plugin, not the agent.
  const { userId, additionalData: _additionalData, ...payload } = props.payload as Record<string, unknown>
  const senderId = typeof userId === 'string' && userId.length > 0 ? userId : undefined
  const content = toHubSpotContent({ type: props.type, payload } as BotpressContent, deps.texts)

  try {
    let published
    if (!senderId) {
      // A notice from the plugin (for instance "the user has ended the session"), not the customer's words.
      published = await publishContent(deps, thread, {
        from: 'bot',
        content: { ...content, text: content.text ? deps.texts.notice(content.text) : content.text },
        idempotencyKey: `bp-${message.id}`,
      })
    } else {
      const sender = senderId === tags.customerUserId ? undefined : await getCustomer(deps, senderId).then((c) => ({ deliveryIdentifier: c.delivery, name: c.name }))
      const notAttached: NotAttached[] = []
      published = await publishContent(deps, thread, { from: 'customer', sender, content, idempotencyKey: `bp-${message.id}`, onNotAttached: (file) => notAttached.push(file) })
      for (const file of notAttached) await tellCustomer(deps, conversation.id, tags, deps.texts.fileNotDelivered(file))
    }
    const first = published[0]
    if (first) await props.ack({ tags: { hubspotMessageId: first.id } })
  } catch (error) {
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
