// Finding the HITL session of a HubSpot thread, and handling the events of one thread one at a time
// within a process so duplicates delivered together see each other's effects.
import type { ConversationTagValues } from '../../types'
import type { Deps } from '../context'

export type Session = { conversationId: string; tags: ConversationTagValues }

export const findSessionByThread = async (deps: Deps, threadId: string): Promise<Session | undefined> => {
  const { conversations } = await deps.client.listConversations({ channel: 'hitl', tags: { hubspotThreadId: threadId } })
  const conversation = conversations[0]
  return conversation ? { conversationId: conversation.id, tags: conversation.tags as ConversationTagValues } : undefined
}

const queues = new Map<string, Promise<unknown>>()

export const oneAtATime = <T>(key: string, work: () => Promise<T>): Promise<T> => {
  const previous = queues.get(key) ?? Promise.resolve()
  const next = previous.then(work, work)
  const settled = next.catch(() => undefined)
  queues.set(key, settled)
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key)
  })
  return next
}

// Threads this process closed on the bot's behalf, so the status webhook that echoes our own close
// is recognised without a lookup. Only a shortcut: the conversation's `closed` tag decides otherwise.
const closedHere = new Set<string>()
const CLOSED_HERE_LIMIT = 5000

export const rememberClosedHere = (integrationId: string, threadId: string): void => {
  if (closedHere.size >= CLOSED_HERE_LIMIT) closedHere.delete(closedHere.values().next().value as string)
  closedHere.add(`${integrationId}:${threadId}`)
}

export const wasClosedHere = (integrationId: string, threadId: string): boolean => closedHere.has(`${integrationId}:${threadId}`)
