// Telling the customer something the agent cannot (a file of theirs that did not reach HubSpot).
// The hitl plugin forwards to the customer what a user other than the bot writes on the hitl
// conversation, and takes the first such author for the agent when none is assigned yet: so a
// notice goes out at once when an agent is assigned, and otherwise waits for the assignment.
import type { ConversationTagValues } from '../types'
import type { Deps } from './context'

const MAX_PENDING = 2000

export const postNotice = async (deps: Pick<Deps, 'client' | 'texts'>, conversationId: string, text: string): Promise<void> => {
  const { user } = await deps.client.getOrCreateUser({ tags: { kind: 'notice' }, name: deps.texts.noticeSenderName, discriminateByTags: ['kind'] })
  await deps.client.createMessage({ conversationId, userId: user.id, type: 'text', payload: { text }, tags: {} })
}

export const tellCustomer = async (deps: Deps, conversationId: string, tags: ConversationTagValues, text: string): Promise<void> => {
  if (tags.assignedActorId) return postNotice(deps, conversationId, text)
  const pending = [tags.pendingNotice, text].filter(Boolean).join('\n').slice(-MAX_PENDING)
  tags.pendingNotice = pending
  await deps.client.updateConversation({ id: conversationId, tags: { pendingNotice: pending } })
}

// Once an agent is assigned: what the customer was owed.
export const deliverPendingNotice = async (deps: Deps, conversationId: string, tags: ConversationTagValues): Promise<void> => {
  if (!tags.pendingNotice) return
  await postNotice(deps, conversationId, tags.pendingNotice)
  await deps.client.updateConversation({ id: conversationId, tags: { pendingNotice: '' } })
}
