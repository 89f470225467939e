// Customer messages HubSpot could not take in time are owed, not lost. They wait, in order, in a
// conversation state (durable: any later process finds them), and go out with their idempotency key
// (once, whoever sends them) before the conversation's next message or at the thread's next event.
// One still refused after OUTBOX_GIVE_UP_MS is dropped, and the customer is told.
import { isApiError } from '@botpress/sdk'
import { z } from '@botpress/sdk'
import { DownloadError } from '../download'
import * as env from '../env'
import { HubSpotApiError } from '../hubspot/http'
import type { ConversationTagValues } from '../types'
import type { Deps } from './context'
import { getCustomer } from './customers'
import { toHubSpotContent, type BotpressContent } from './messages'
import { tellCustomer } from './notices'
import { publishContent, threadAddressFromTags, type NotAttached } from './publish'

export type OwedMessage = { messageId: string; type: string; payload: Record<string, unknown>; senderId?: string; queuedAt: number }

const owedSchema = z.object({
  items: z.array(z.object({ messageId: z.string(), type: z.string(), payload: z.record(z.unknown()), senderId: z.string().optional(), queuedAt: z.number() })),
})

// HubSpot failed or timed out after the retries (a refusal or a bad file is not worth waiting for).
export const isWorthWaitingFor = (error: unknown): boolean =>
  (error instanceof HubSpotApiError && error.transient && error.envelope.policyName !== 'DAILY') || (error instanceof DownloadError && !error.permanent)

const readOwed = async (deps: Deps, conversationId: string): Promise<OwedMessage[]> => {
  try {
    const { state } = await deps.client.getState({ type: 'conversation', id: conversationId, name: 'outbox' })
    const parsed = owedSchema.safeParse(state.payload)
    return parsed.success ? parsed.data.items : []
  } catch (error) {
    if (isApiError(error) && error.code === 404) return []
    throw error
  }
}

const writeOwed = async (deps: Deps, conversationId: string, tags: ConversationTagValues, items: OwedMessage[]): Promise<void> => {
  await deps.client.setState({ type: 'conversation', id: conversationId, name: 'outbox', payload: items.length ? { items } : null })
  const pending = items.length ? 'true' : 'false'
  if ((tags.outboxPending ?? 'false') !== pending) {
    await deps.client.updateConversation({ id: conversationId, tags: { outboxPending: pending } })
    tags.outboxPending = pending
  }
}

// Publishes one Botpress message of the hitl channel into its thread; returns the HubSpot message ID.
export const publishBotpressMessage = async (deps: Deps, conversationId: string, tags: ConversationTagValues, message: Omit<OwedMessage, 'queuedAt'>) => {
  const thread = threadAddressFromTags(deps, conversationId, tags)
  if (!thread) return undefined
  const content = toHubSpotContent({ type: message.type, payload: message.payload } as BotpressContent, deps.texts)
  const idempotencyKey = `bp-${message.messageId}`
  if (!message.senderId) {
    // A notice from the plugin (for instance "the user has ended the session"), not the customer's words.
    const published = await publishContent(deps, thread, { from: 'bot', content: { ...content, text: content.text ? deps.texts.notice(content.text) : content.text }, idempotencyKey })
    return published[0]?.id
  }
  const sender = message.senderId === tags.customerUserId ? undefined : await getCustomer(deps, message.senderId).then((c) => ({ deliveryIdentifier: c.delivery, name: c.name }))
  const notAttached: NotAttached[] = []
  const published = await publishContent(deps, thread, { from: 'customer', sender, content, idempotencyKey, onNotAttached: (file) => notAttached.push(file) })
  for (const file of notAttached) await tellCustomer(deps, conversationId, tags, deps.texts.fileNotDelivered(file))
  return published[0]?.id
}

// Sends what is owed, oldest first; stops at the first that HubSpot still refuses. Returns true
// when nothing is owed any more.
export const flushOwed = async (deps: Deps, conversationId: string, tags: ConversationTagValues): Promise<boolean> => {
  if (tags.outboxPending !== 'true') return true
  const items = await readOwed(deps, conversationId)
  let sent = 0
  for (const item of items) {
    try {
      await publishBotpressMessage(deps, conversationId, tags, item)
      sent++
    } catch (error) {
      if (!isWorthWaitingFor(error)) throw error
      if (Date.now() - item.queuedAt < env.outboxGiveUpMs()) break
      deps.logger.warn(`A customer message of conversation ${conversationId} could not reach HubSpot for ${Math.round(env.outboxGiveUpMs() / 1000)} s; the customer is told`)
      await tellCustomer(deps, conversationId, tags, deps.texts.messageNotDelivered)
      sent++
    }
  }
  await writeOwed(deps, conversationId, tags, items.slice(sent))
  return sent === items.length
}

export const owe = async (deps: Deps, conversationId: string, tags: ConversationTagValues, message: Omit<OwedMessage, 'queuedAt'>): Promise<void> => {
  const items = tags.outboxPending === 'true' ? await readOwed(deps, conversationId) : []
  if (!items.some((item) => item.messageId === message.messageId)) items.push({ ...message, queuedAt: Date.now() })
  await writeOwed(deps, conversationId, tags, items)
  deps.logger.warn(`HubSpot did not take a customer message of conversation ${conversationId} in time; it is kept and sent with the next one`)
}
