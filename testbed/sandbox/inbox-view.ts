// What an agent sees in the HubSpot stand-in's inbox, shaped for the sandbox page.
import type { CustomerRef, HubSpotStandIn, StoredAttachment, TimelineEntry } from '../hubspot'

export type InboxAttachment = { name: string; url: string; isImage: boolean }

export type InboxMessage = {
  kind: 'message'
  id: string
  at: string
  direction: 'INCOMING' | 'OUTGOING'
  // customer (INCOMING), agent (OUTGOING from HubSpot's composer) or integration (OUTGOING published by the integration)
  author: 'customer' | 'agent' | 'integration'
  senderName: string
  text: string
  attachments: InboxAttachment[]
  status?: string
  failure?: string
}

export type InboxActivity = { kind: 'activity'; id: string; at: string; text: string }

export type InboxThread = {
  id: string
  status: 'OPEN' | 'CLOSED'
  archived: boolean
  inboxName: string
  customerName: string
  // Who the customer is in HubSpot: a contact the integration found, one it created for this
  // escalation, a visitor known by an email or phone without a contact, or an anonymous visitor.
  customerKind: 'contact-matched' | 'contact-created' | 'visitor' | 'anonymous'
  customerKindLabel: string
  assignee: { actorId: string; name: string } | null
  // Without an assignee: the agent who wrote last (the plugin takes them for the customer's agent).
  answeredBy?: string
  createdAt: string
  preview: string
  timeline: (InboxMessage | InboxActivity)[]
}

export type InboxSnapshot = {
  agents: { actorId: string; name: string; avatar: string }[]
  threads: InboxThread[]
}

// Files in HubSpot are private; the sandbox serves their bytes itself at this path.
export const hubSpotFilePath = (fileId: string): string => `/files/hubspot/${encodeURIComponent(fileId)}`

const agentName = (hs: HubSpotStandIn, actorId: string | null | undefined): string | undefined => {
  if (!actorId) return undefined
  const normalized = actorId.startsWith('A-') ? actorId : `A-${actorId}`
  return hs.portal.agents.get(normalized)?.name ?? actorId
}

const attachmentView = (attachment: StoredAttachment): InboxAttachment | undefined => {
  if (attachment.type !== 'FILE') return undefined
  return {
    name: attachment.name,
    url: hubSpotFilePath(attachment.fileId),
    isImage: attachment.fileUsageType === 'IMAGE',
  }
}

const entryView = (
  hs: HubSpotStandIn,
  entry: TimelineEntry,
  delivered: (messageId: string) => boolean
): InboxMessage | InboxActivity => {
  if (entry.type === 'THREAD_STATUS_CHANGE') {
    return {
      kind: 'activity',
      id: entry.id,
      at: entry.createdAt,
      text: entry.newStatus === 'CLOSED' ? 'Conversation closed' : 'Conversation reopened',
    }
  }
  if (entry.type === 'ASSIGNMENT') {
    const text = entry.assignedTo
      ? `Assigned to ${agentName(hs, entry.assignedTo)}`
      : `Unassigned from ${agentName(hs, entry.assignedFrom) ?? 'nobody'}`
    return { kind: 'activity', id: entry.id, at: entry.createdAt, text }
  }
  const author =
    entry.direction === 'INCOMING' ? 'customer' : entry.client.clientType === 'HUBSPOT' ? 'agent' : 'integration'
  return {
    kind: 'message',
    id: entry.id,
    at: entry.createdAt,
    direction: entry.direction,
    author,
    senderName: entry.senders[0]?.name ?? (author === 'customer' ? 'Customer' : 'Bot'),
    text: entry.text,
    attachments: entry.attachments.map(attachmentView).filter((view): view is InboxAttachment => view !== undefined),
    // Not the SENT HubSpot shows before anything happened: FAILED as reported, SENT once the
    // customer has the reply (the integration reports SENT only where HubSpot shows no status).
    ...(author === 'agent'
      ? deliveryStatus(hs, entry.id, delivered)
      : entry.status
        ? { status: entry.status.statusType }
        : {}),
  }
}

const deliveryStatus = (
  hs: HubSpotStandIn,
  messageId: string,
  delivered: (messageId: string) => boolean
): { status?: string; failure?: string } => {
  const report = hs.portal.statusReports.get(messageId)?.at(-1)
  if (report?.statusType === 'FAILED') {
    return {
      status: 'FAILED',
      ...(report.failureDetails?.errorMessage && { failure: report.failureDetails.errorMessage }),
    }
  }
  return report || delivered(messageId) ? { status: 'SENT' } : {}
}

// A contact created this shortly before its thread was created for that escalation.
const CREATED_FOR_ESCALATION_MS = 60_000

const customerKindOf = (
  hs: HubSpotStandIn,
  customer: CustomerRef,
  threadCreatedAt: string,
  seededBefore: number
): Pick<InboxThread, 'customerKind' | 'customerKindLabel'> => {
  // An opaque identifier (what the integration sends for an anonymous visitor) names nobody.
  const type = customer.deliveryIdentifier?.type
  const by = type === 'HS_PHONE_NUMBER' ? 'phone' : type === 'HS_EMAIL_ADDRESS' ? 'email' : undefined
  if (customer.kind === 'contact') {
    const contact = hs.portal.contacts.get(customer.id)
    const createdAt = contact ? Date.parse(contact.createdAt) : 0
    const created = createdAt >= seededBefore && Date.parse(threadCreatedAt) - createdAt < CREATED_FOR_ESCALATION_MS
    return created
      ? {
          customerKind: 'contact-created',
          customerKindLabel: `contact created for this escalation${by ? ` (by ${by})` : ''}`,
        }
      : { customerKind: 'contact-matched', customerKindLabel: `existing contact matched${by ? ` by ${by}` : ''}` }
  }
  return by
    ? {
        customerKind: 'visitor',
        customerKindLabel: `visitor with ${by === 'phone' ? 'a phone number' : 'an email'}, no contact`,
      }
    : { customerKind: 'anonymous', customerKindLabel: 'anonymous visitor (no email or phone, no contact)' }
}

// `delivered` says whether an agent message reached the customer (the Botpress side knows).
// Contacts created before `seededBefore` (the portal's seed) were never created by the integration.
export const inboxSnapshot = (
  hs: HubSpotStandIn,
  delivered: (messageId: string) => boolean,
  seededBefore = 0
): InboxSnapshot => {
  const threads = [...hs.portal.threads.values()].map((thread): InboxThread => {
    const timeline = hs.portal.timeline(thread.id).map((entry) => entryView(hs, entry, delivered))
    const lastMessage = [...timeline].reverse().find((entry): entry is InboxMessage => entry.kind === 'message')
    const assigneeName = agentName(hs, thread.assignedTo)
    const lastAgent = [...timeline]
      .reverse()
      .find((entry): entry is InboxMessage => entry.kind === 'message' && entry.author === 'agent')
    return {
      id: thread.id,
      status: thread.status,
      archived: thread.archived,
      inboxName: hs.portal.inboxes.get(thread.inboxId)?.name ?? thread.inboxId,
      customerName: thread.customer.name ?? thread.customer.actorId,
      ...customerKindOf(hs, thread.customer, thread.createdAt, seededBefore),
      assignee: thread.assignedTo && assigneeName ? { actorId: thread.assignedTo, name: assigneeName } : null,
      ...(!thread.assignedTo && lastAgent && { answeredBy: lastAgent.senderName }),
      createdAt: thread.createdAt,
      preview: lastMessage ? lastMessage.text || lastMessage.attachments.map((file) => file.name).join(', ') : '',
      timeline,
    }
  })
  return {
    agents: hs.agents.map(({ actorId, name, avatar }) => ({ actorId, name, avatar })),
    threads: threads.reverse(),
  }
}
