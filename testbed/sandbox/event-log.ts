// The sandbox's event log: hitl events Botpress received, webhooks HubSpot delivered, calls the bot made.
import type { StoredEvent } from '../botpress'
import type { DeliveryRecord } from '../hubspot'

export type LogSource = 'botpress' | 'hubspot' | 'bot'

export type LogEntry = {
  id: number
  at: string
  source: LogSource
  // hitlAssigned, hitlStopped, webhook, action, message or error
  kind: string
  text: string
  // Set when the entry is an HTTP exchange: its status code, or null when no answer came.
  status?: number | null
  // The HubSpot message an agent-reply webhook carried: its delivery may end FAILED after a 200.
  messageId?: string
  // Set in snapshots: the integration reported that message FAILED (the entry shows in red).
  failed?: string
}

const MAX_ENTRIES = 400

export class EventLog {
  private readonly entries: LogEntry[] = []
  private nextId = 1

  public constructor(private readonly onChange: () => void) {}

  // Webhook deliveries are collected by polling, after the fact: each entry goes where its time puts it.
  public add(entry: Omit<LogEntry, 'id' | 'at'> & { at?: number }): void {
    const added: LogEntry = { ...entry, id: this.nextId++, at: new Date(entry.at ?? Date.now()).toISOString() }
    let index = this.entries.length
    while (index > 0 && this.entries[index - 1].at > added.at) index--
    this.entries.splice(index, 0, added)
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES)
    this.onChange()
  }

  public list(): LogEntry[] {
    return [...this.entries]
  }

  public clear(): void {
    this.entries.length = 0
    this.onChange()
  }
}

// Conversations are named as people know them: "Jane Doe's session (thread 7345001)".
export const describeHitlEvent = (
  event: StoredEvent,
  userName: (userId: string) => string | undefined,
  sessionName: (conversationId: string) => string
): string => {
  const userId = typeof event.payload.userId === 'string' ? event.payload.userId : undefined
  const conversationId =
    typeof event.payload.conversationId === 'string' ? event.payload.conversationId : event.conversationId
  const session = conversationId ? sessionName(conversationId) : 'a session'
  if (event.type === 'hitlAssigned') {
    return `Botpress received hitlAssigned: ${userId === undefined ? 'an agent' : (userName(userId) ?? 'an agent')} takes ${session}`
  }
  return `Botpress received ${event.type}: ${session} is handed back to the bot`
}

// The HubSpot message id of an agent-reply webhook, to follow its delivery status.
export const agentReplyIdOf = (delivery: DeliveryRecord): string | undefined => {
  try {
    const body = JSON.parse(delivery.body) as { type?: unknown; message?: { id?: unknown } }
    return body.type === 'OUTGOING_CHANNEL_MESSAGE_CREATED' && typeof body.message?.id === 'string'
      ? body.message.id
      : undefined
  } catch {
    return undefined
  }
}

type AppEventSummary = {
  subscriptionType?: unknown
  propertyName?: unknown
  propertyValue?: unknown
  objectId?: unknown
  changeFlag?: unknown
}

const summarizeAppEvent = (event: AppEventSummary): string => {
  const type = String(event.subscriptionType ?? 'event')
  const change =
    event.propertyName === undefined
      ? String(event.changeFlag ?? '')
      : `${String(event.propertyName)}=${JSON.stringify(event.propertyValue ?? '')}`
  return `${type} ${change} (thread ${String(event.objectId ?? '?')})`.replace(/\s+/g, ' ')
}

export const describeDelivery = (delivery: DeliveryRecord): string => {
  let events = '?'
  try {
    const body: unknown = JSON.parse(delivery.body)
    if (Array.isArray(body)) events = body.map((event: AppEventSummary) => summarizeAppEvent(event)).join('; ')
    else if (typeof body === 'object' && body !== null && 'type' in body) events = String(body.type)
  } catch {
    events = 'unreadable body'
  }
  const answer = delivery.status === null ? `no answer (${delivery.error ?? 'network error'})` : `${delivery.status}`
  const retry = delivery.attempt > 0 ? `, attempt ${delivery.attempt + 1}` : ''
  const duplicate = delivery.duplicate ? ', duplicate' : ''
  return `${delivery.kind} webhook ${events} → ${answer} in ${delivery.durationMs} ms${retry}${duplicate}`
}
