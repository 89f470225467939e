// The in-memory HubSpot portal: every record the stand-in serves, readable by tests.
import type { z } from 'zod'
import type {
  ChannelCapabilities,
  DeliveryIdentifier,
  FileUsageType,
  OutgoingAttachment,
  fileUploadOptionsSchema,
} from '../../src/hubspot/schemas'
import type { InboxType } from './seed'

export type InboxRecord = {
  id: string
  name: string
  type: InboxType
  archived: boolean
  createdAt: string
  updatedAt: string
}

// `userId` is the numeric part of the actor id (A-111 → 111).
export type AgentRecord = { actorId: string; userId: string; name: string; email: string; avatar: string }

export type ContactRecord = {
  id: string
  properties: Record<string, string>
  createdAt: string
  updatedAt: string
  archived: boolean
  // CRM search finds a contact only from this time on (HubSpot indexes new records with a delay).
  searchableAt: number
}

export type VisitorRecord = { id: string; name?: string; deliveryIdentifier?: DeliveryIdentifier }

export type ChannelRecord = {
  id: string
  name: string
  capabilities: ChannelCapabilities
  createdAt: string
  updatedAt: string
  webhookUrl?: string
  channelAccountConnectionRedirectUrl?: string
  channelDescription?: string
  channelLogoUrl?: string
  archived: boolean
  // How many more GET list calls leave this channel out (see hideNewChannelsFromListFor).
  hiddenFromListCalls: number
}

export type ChannelAccountRecord = {
  id: string
  channelId: string
  inboxId: string
  name: string
  authorized: boolean
  archived: boolean
  archivedAt?: string
  createdAt: string
  updatedAt: string
  deliveryIdentifier?: DeliveryIdentifier
}

export type Participant = { actorId?: string; name?: string; deliveryIdentifier?: DeliveryIdentifier }

// The end customer of a thread: a CRM contact, or an anonymous visitor when none matched.
export type CustomerRef = {
  kind: 'contact' | 'visitor'
  id: string
  actorId: string
  name?: string
  deliveryIdentifier?: DeliveryIdentifier
}

export type ThreadStatus = 'OPEN' | 'CLOSED'

export type ThreadRecord = {
  id: string
  status: ThreadStatus
  inboxId: string
  associatedContactId: string
  originalChannelId: string
  originalChannelAccountId: string
  createdAt: string
  archived: boolean
  spam: boolean
  assignedTo?: string
  closedAt?: string
  latestMessageTimestamp?: string
  latestMessageSentTimestamp?: string
  latestMessageReceivedTimestamp?: string
  integrationThreadId?: string
  customer: CustomerRef
}

export type FileAttachment = { type: 'FILE'; fileId: string; fileUsageType: FileUsageType; name: string; url: string }
export type StoredAttachment = FileAttachment | Exclude<OutgoingAttachment, { type: 'FILE' }>

export type MessageStatusType = 'SENT' | 'FAILED' | 'READ' | 'RECEIVED'
export type MessageStatus = {
  statusType: MessageStatusType
  failureDetails?: { errorMessage?: string; errorMessageTokens: Record<string, string> }
}

export type StoredMessage = {
  id: string
  type: 'MESSAGE'
  conversationsThreadId: string
  channelId: string
  channelAccountId: string
  createdAt: string
  updatedAt: string
  createdBy: string
  archived: boolean
  direction: 'INCOMING' | 'OUTGOING'
  text: string
  richText?: string
  inReplyToId?: string
  senders: Participant[]
  recipients: Participant[]
  attachments: StoredAttachment[]
  client: { clientType: 'HUBSPOT' | 'INTEGRATION'; integrationAppId?: number }
  // Absent on an agent message until the integration reports SENT or FAILED.
  status?: MessageStatus
  truncationStatus: 'NOT_TRUNCATED'
}

export type StatusChangeEntry = {
  id: string
  type: 'THREAD_STATUS_CHANGE'
  newStatus: ThreadStatus
  createdAt: string
  createdBy?: string
  archived: false
}
export type AssignmentEntry = {
  id: string
  type: 'ASSIGNMENT'
  assignedTo: string | null
  assignedFrom: string | null
  createdAt: string
  archived: false
}
export type ThreadEvent = StatusChangeEntry | AssignmentEntry
export type TimelineEntry = StoredMessage | ThreadEvent

export type FileAccess = z.infer<typeof fileUploadOptionsSchema>['access']

export type StoredFile = {
  id: string
  name: string
  extension: string
  type: string
  size: number
  path: string
  parentFolderId: string
  url: string
  access: FileAccess
  createdAt: string
  updatedAt: string
  archived: boolean
  contentType: string
  data: Buffer
}

export type AccessTokenRecord = {
  token: string
  refreshToken: string
  scopes: string[]
  userId: number
  user: string
  issuedAt: number
  expiresAt: number
}

export type RefreshTokenRecord = {
  token: string
  scopes: string[]
  userId: number
  user: string
  createdAt: number
  revoked: boolean
}

export type AuthCodeRecord = {
  code: string
  clientId: string
  redirectUri: string
  refreshToken: string
  used: boolean
}

export type TokenStore = {
  access: Map<string, AccessTokenRecord>
  refresh: Map<string, RefreshTokenRecord>
  authCodes: Map<string, AuthCodeRecord>
}

export type WebhookSettingsRecord = {
  targetUrl: string
  throttling: { maxConcurrentRequests: number; period?: string }
  createdAt: string
  updatedAt: string
}

export type SubscriptionRecord = {
  id: string
  eventType: string
  propertyName?: string
  active: boolean
  createdAt: string
  updatedAt: string
}

type IdKind =
  | 'channel'
  | 'channelAccount'
  | 'thread'
  | 'contact'
  | 'visitor'
  | 'file'
  | 'folder'
  | 'subscription'
  | 'appEvent'

const FIRST_IDS: Record<IdKind, number> = {
  channel: 2001,
  channelAccount: 5501,
  thread: 7345001,
  contact: 1201,
  visitor: 880001,
  file: 180000001,
  folder: 9001,
  subscription: 1,
  appEvent: 100001,
}

// Records of the app itself, not of one portal: its custom channels, webhook settings and
// subscriptions. Every portal the app is installed in shares them.
const APP_LEVEL_IDS = new Set<IdKind>(['channel', 'subscription', 'appEvent'])

export type PortalOptions = {
  // The portal that holds the app's records (the stand-in's first portal) when this is another one.
  appHome?: Portal
  // Added to the first id of each portal-level kind, so two portals never hand out the same thread,
  // channel account or contact id.
  idOffset?: number
}

export class Portal {
  public readonly inboxes = new Map<string, InboxRecord>()
  public readonly agents = new Map<string, AgentRecord>()
  public readonly contacts = new Map<string, ContactRecord>()
  public readonly visitors = new Map<string, VisitorRecord>()
  public readonly channels: Map<string, ChannelRecord>
  public readonly channelAccounts = new Map<string, ChannelAccountRecord>()
  public readonly threads = new Map<string, ThreadRecord>()
  // Messages of each thread, by thread id, in the order they were created.
  public readonly messages = new Map<string, StoredMessage[]>()
  // Status changes and assignments of each thread, by thread id.
  public readonly threadEvents = new Map<string, ThreadEvent[]>()
  public readonly files = new Map<string, StoredFile>()
  public readonly folders = new Map<string, string>()
  public readonly tokens: TokenStore = { access: new Map(), refresh: new Map(), authCodes: new Map() }
  public readonly subscriptions: Map<string, SubscriptionRecord>
  private ownAppWebhookSettings: WebhookSettingsRecord | null = null
  private readonly appHome: Portal | undefined
  private readonly idOffset: number

  public readonly messageById = new Map<string, StoredMessage>()
  // Every status the integration reported per message (PATCH), oldest first: a status HubSpot set
  // itself (agentReplyStatus) is not a report.
  public readonly statusReports = new Map<string, MessageStatus[]>()
  // `${channelId}:${integrationIdempotencyId}` → message id
  public readonly idempotencyKeys = new Map<string, string>()
  // `${channelAccountId}:${threading key}` → thread id
  public readonly threadKeys = new Map<string, string>()
  // `${channelAccountId}:${type}:${value}` → visitor id
  public readonly visitorKeys = new Map<string, string>()

  private readonly counters = new Map<IdKind, number>()
  private readonly insertionOrder = new WeakMap<object, number>()
  private insertions = 0

  public constructor(options: PortalOptions = {}) {
    this.appHome = options.appHome
    this.idOffset = options.idOffset ?? 0
    this.channels = options.appHome?.channels ?? new Map()
    this.subscriptions = options.appHome?.subscriptions ?? new Map()
  }

  public get appWebhookSettings(): WebhookSettingsRecord | null {
    return this.appHome ? this.appHome.appWebhookSettings : this.ownAppWebhookSettings
  }

  public set appWebhookSettings(settings: WebhookSettingsRecord | null) {
    if (this.appHome) this.appHome.appWebhookSettings = settings
    else this.ownAppWebhookSettings = settings
  }

  private firstId(kind: IdKind): number {
    return FIRST_IDS[kind] + (APP_LEVEL_IDS.has(kind) ? 0 : this.idOffset)
  }

  public nextId(kind: IdKind): string {
    if (this.appHome && APP_LEVEL_IDS.has(kind)) return this.appHome.nextId(kind)
    const next = this.counters.get(kind) ?? this.firstId(kind)
    this.counters.set(kind, next + 1)
    return String(next)
  }

  // Keeps numeric ids unique when records are seeded with explicit ids.
  public reserveId(kind: IdKind, id: string): void {
    if (this.appHome && APP_LEVEL_IDS.has(kind)) return this.appHome.reserveId(kind, id)
    const numeric = Number(id)
    if (!Number.isInteger(numeric)) return
    const next = this.counters.get(kind) ?? this.firstId(kind)
    if (numeric >= next) this.counters.set(kind, numeric + 1)
  }

  public addMessage(message: StoredMessage): void {
    this.insertionOrder.set(message, this.insertions++)
    this.listOf(this.messages, message.conversationsThreadId).push(message)
    this.messageById.set(message.id, message)
  }

  public addThreadEvent(threadId: string, event: ThreadEvent): void {
    this.insertionOrder.set(event, this.insertions++)
    this.listOf(this.threadEvents, threadId).push(event)
  }

  // Messages and thread events together, oldest first (ties keep creation order).
  public timeline(threadId: string): TimelineEntry[] {
    const entries: TimelineEntry[] = [
      ...(this.messages.get(threadId) ?? []),
      ...(this.threadEvents.get(threadId) ?? []),
    ]
    const order = (entry: TimelineEntry) => this.insertionOrder.get(entry) ?? 0
    return entries.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || order(a) - order(b))
  }

  private listOf<T>(map: Map<string, T[]>, key: string): T[] {
    let list = map.get(key)
    if (!list) {
      list = []
      map.set(key, list)
    }
    return list
  }
}
