// The human agent working in HubSpot's inbox, as tests and the sandbox drive it.
import {
  archiveThread,
  assignThread,
  replyAsAgent,
  requireAgent,
  requireThread,
  setThreadStatus,
  threadView,
  type AgentReply,
} from './inbox'
import type { StoredMessage } from './portal'
import type { StandInState } from './state'

export type ThreadView = ReturnType<typeof threadView>

export type AgentControls = {
  // actorId 'A-111' or '111'; null unassigns. Fires conversation.propertyChange assignedTo.
  assign(threadId: string, actorId: string | null): ThreadView
  // Fires OUTGOING_CHANNEL_MESSAGE_CREATED to the channel's webhookUrl and conversation.newMessage.
  reply(threadId: string, reply: AgentReply): StoredMessage
  // Fire conversation.propertyChange status; a no-op when the thread already has that status.
  close(threadId: string): ThreadView
  reopen(threadId: string): ThreadView
  // Deletes (archives) the thread, as the inbox's "Delete" does: fires conversation.deletion.
  delete(threadId: string): ThreadView
}

export const createAgentControls = (state: StandInState): AgentControls => ({
  assign(threadId, actorId) {
    const thread = requireThread(state, threadId)
    assignThread(state, thread, actorId === null ? null : requireAgent(state, actorId), 'CONVERSATIONS')
    return threadView(thread)
  },
  reply(threadId, reply) {
    return structuredClone(replyAsAgent(state, threadId, reply))
  },
  close(threadId) {
    const thread = requireThread(state, threadId)
    setThreadStatus(state, thread, 'CLOSED', 'CONVERSATIONS', thread.assignedTo)
    return threadView(thread)
  },
  reopen(threadId) {
    const thread = requireThread(state, threadId)
    setThreadStatus(state, thread, 'OPEN', 'CONVERSATIONS', thread.assignedTo)
    return threadView(thread)
  },
  delete(threadId) {
    const thread = requireThread(state, threadId)
    archiveThread(state, thread)
    return threadView(thread)
  },
})
