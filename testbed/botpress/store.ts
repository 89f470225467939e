import { randomBytes } from 'node:crypto'
import { contentTypeOf } from '../../src/content-types'
import { notFound, invalidPayload } from './errors'
import { newId } from './ids'
import { TypedEmitter } from './typed-emitter'

export type Tags = Record<string, string>
export type JsonObject = Record<string, unknown>

/** What a bot's API token may see: resources of that bot, and those a test created directly. */
export const visibleTo = (resource: { botId?: string }, botId: string | undefined): boolean =>
  resource.botId === undefined || botId === undefined || resource.botId === botId

export type StoredUser = {
  id: string
  /** The bot whose API call created it; absent for resources a test created in the store. */
  botId?: string
  createdAt: string
  updatedAt: string
  tags: Tags
  name?: string
  pictureUrl?: string
  attributes?: Record<string, string>
}

export type StoredConversation = {
  id: string
  botId?: string
  createdAt: string
  updatedAt: string
  channel: string
  /** Name of the integration owning the conversation (the integration alias for a connected driver). */
  integration: string
  tags: Tags
  currentTaskId?: string
}

export type MessageDirection = 'incoming' | 'outgoing'

export type StoredMessage = {
  id: string
  createdAt: string
  updatedAt: string
  type: string
  payload: JsonObject
  /** `incoming` when an integration created it (towards the bot), `outgoing` when the bot did. */
  direction: MessageDirection
  userId: string
  conversationId: string
  tags: Tags
  origin?: 'synthetic'
}

export type EventStatus = 'pending' | 'processed' | 'ignored' | 'failed' | 'scheduled' | 'canceled'

export type StoredEvent = {
  id: string
  botId?: string
  createdAt: string
  type: string
  payload: JsonObject
  conversationId?: string
  userId?: string
  messageId?: string
  status: EventStatus
  failureReason: string | null
}

export const STATE_TYPES = ['conversation', 'user', 'bot', 'integration', 'task', 'workflow'] as const
export type StateType = (typeof STATE_TYPES)[number]

export type StoredState = {
  id: string
  createdAt: string
  updatedAt: string
  botId: string
  conversationId?: string
  userId?: string
  name: string
  type: StateType
  /** The id the state hangs on: a conversation, user, bot or integration id. */
  resourceId: string
  payload: JsonObject
  /** Epoch ms after which the state reads as unset; null when it never expires. */
  expiresAt: number | null
  /** Idle expiry in ms, renewed on every write. */
  expiryMs: number | null
}

export type FileStatus =
  | 'upload_pending'
  | 'upload_failed'
  | 'upload_completed'
  | 'indexing_pending'
  | 'indexing_failed'
  | 'indexing_completed'
export type FileAccessPolicy = 'integrations' | 'public_content'

export type FileOwner = {
  type: 'bot' | 'integration' | 'user'
  id?: string
  name?: string
  alias?: string
}

export type StoredFile = {
  id: string
  botId: string
  key: string
  size: number | null
  contentType: string
  tags: Tags
  metadata: JsonObject
  createdAt: string
  updatedAt: string
  accessPolicies: FileAccessPolicy[]
  index: boolean
  status: FileStatus
  expiresAt?: string
  owner: FileOwner
  /** Bytes received on the upload URL; undefined until uploaded. */
  content?: Buffer
  /** Secret part of the upload URL, renewed on every upsert. */
  uploadToken: string
}

export type IntegrationSettings = {
  integrationId: string
  identifier?: string | null
  scheduleRegisterCall?: string
  updatedAt: string
}

export type ChangeKind = 'created' | 'updated' | 'deleted'

/** What the store emits; `bp.on(...)` exposes the same map. */
export type StoreEvents = {
  user: [change: { kind: ChangeKind; user: StoredUser }]
  conversation: [change: { kind: ChangeKind; conversation: StoredConversation }]
  message: [change: { kind: ChangeKind; message: StoredMessage }]
  event: [change: { kind: 'created' | 'updated'; event: StoredEvent }]
  state: [change: { kind: ChangeKind; state: StoredState }]
  file: [change: { kind: ChangeKind; file: StoredFile }]
}

export type SortDirection = 'asc' | 'desc'
export type DateField = 'createdAt' | 'updatedAt'

export type DateRange = {
  afterDate?: string
  beforeDate?: string
}

const nowIso = (): string => new Date().toISOString()

/** Tag updates merge; an empty string value removes the tag, as in Botpress. */
export function mergeTags(current: Tags, patch: Tags): Tags {
  const merged: Tags = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete merged[key]
    else merged[key] = value
  }
  return merged
}

function withoutEmptyTags(tags: Tags): Tags {
  return mergeTags({}, tags)
}

export function matchesTags(tags: Tags, filter: Tags | undefined): boolean {
  if (!filter) return true
  return Object.entries(filter).every(([key, value]) => tags[key] === value)
}

/**
 * get-or-create lookup: every tag named in `discriminateByTags` (or, without it, every requested
 * tag) must have the same value on the existing record. With no tag to compare, nothing matches.
 */
function matchesForGetOrCreate(existing: Tags, requested: Tags, discriminateByTags?: string[]): boolean {
  const keys = discriminateByTags ?? Object.keys(requested)
  if (keys.length === 0) return false
  return keys.every((key) => existing[key] === requested[key])
}

function inDateRange(iso: string, range: DateRange): boolean {
  const at = Date.parse(iso)
  if (range.afterDate && !(at > Date.parse(range.afterDate))) return false
  if (range.beforeDate && !(at < Date.parse(range.beforeDate))) return false
  return true
}

/** Stable sort on a date field; ties keep creation order (reversed for `desc`). */
function sortByDate<T extends { createdAt: string; updatedAt?: string }>(
  items: T[],
  field: DateField,
  direction: SortDirection
): T[] {
  const sign = direction === 'asc' ? 1 : -1
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => {
      const byDate = Date.parse(a.item[field] ?? a.item.createdAt) - Date.parse(b.item[field] ?? b.item.createdAt)
      return sign * (byDate !== 0 ? byDate : a.index - b.index)
    })
    .map(({ item }) => item)
}

export function stateKey(type: StateType, resourceId: string, name: string): string {
  return `${type}/${resourceId}/${name}`
}

/** Like Botpress: content type from the key's extension when not given, else application/octet-stream. */
export function inferContentType(key: string): string {
  return contentTypeOf(key) ?? 'application/octet-stream'
}

/**
 * In-memory Botpress workspace data. Every method is synchronous, so a lookup followed by an insert
 * can never interleave with another request: get-or-create is atomic by construction.
 */
export class BotpressStore extends TypedEmitter<StoreEvents> {
  public readonly users = new Map<string, StoredUser>()
  public readonly conversations = new Map<string, StoredConversation>()
  public readonly messages = new Map<string, StoredMessage>()
  public readonly events = new Map<string, StoredEvent>()
  /** Keyed by `type/resourceId/name` (see `stateKey`). */
  public readonly states = new Map<string, StoredState>()
  public readonly files = new Map<string, StoredFile>()
  public readonly integrationSettings = new Map<string, IntegrationSettings>()

  // Users

  public createUser(input: {
    tags?: Tags
    name?: string
    pictureUrl?: string
    attributes?: Record<string, string>
    id?: string
    botId?: string
  }): StoredUser {
    const at = nowIso()
    const user: StoredUser = {
      id: input.id ?? newId('user'),
      ...(input.botId !== undefined && { botId: input.botId }),
      createdAt: at,
      updatedAt: at,
      tags: withoutEmptyTags(input.tags ?? {}),
      ...(input.name !== undefined && { name: input.name }),
      ...(input.pictureUrl !== undefined && { pictureUrl: input.pictureUrl }),
      ...(input.attributes !== undefined && { attributes: { ...input.attributes } }),
    }
    this.users.set(user.id, user)
    this.emit('user', { kind: 'created', user })
    return user
  }

  public getUser(id: string): StoredUser {
    return this.users.get(id) ?? this.throwNotFound('User', id)
  }

  public updateUser(
    id: string,
    patch: { tags?: Tags; name?: string | null; pictureUrl?: string | null; attributes?: Record<string, string | null> }
  ): StoredUser {
    const current = this.getUser(id)
    const updated: StoredUser = { ...current, updatedAt: nowIso() }
    if (patch.tags) updated.tags = mergeTags(current.tags, patch.tags)
    if (patch.name === null) delete updated.name
    else if (patch.name !== undefined) updated.name = patch.name
    if (patch.pictureUrl === null) delete updated.pictureUrl
    else if (patch.pictureUrl !== undefined) updated.pictureUrl = patch.pictureUrl
    if (patch.attributes) {
      const attributes: Record<string, string> = { ...current.attributes }
      for (const [key, value] of Object.entries(patch.attributes)) {
        if (value === null) delete attributes[key]
        else attributes[key] = value
      }
      updated.attributes = attributes
    }
    this.users.set(id, updated)
    this.emit('user', { kind: 'updated', user: updated })
    return updated
  }

  public deleteUser(id: string): void {
    const user = this.getUser(id)
    this.users.delete(id)
    this.emit('user', { kind: 'deleted', user })
  }

  public listUsers(
    filter: DateRange & {
      tags?: Tags
      conversationId?: string
      rangeField?: DateField
      sortField?: DateField
      sortDirection?: SortDirection
      botId?: string
    } = {}
  ): StoredUser[] {
    const authors = filter.conversationId !== undefined ? this.authorsOf(filter.conversationId) : undefined
    const rangeField = filter.rangeField ?? 'createdAt'
    const users = [...this.users.values()].filter(
      (user) =>
        visibleTo(user, filter.botId) &&
        matchesTags(user.tags, filter.tags) &&
        (authors === undefined || authors.has(user.id)) &&
        inDateRange(user[rangeField], filter)
    )
    return sortByDate(users, filter.sortField ?? 'createdAt', filter.sortDirection ?? 'desc')
  }

  public getOrCreateUser(input: {
    tags: Tags
    name?: string
    pictureUrl?: string
    attributes?: Record<string, string>
    discriminateByTags?: string[]
    botId?: string
  }): { user: StoredUser; created: boolean } {
    const existing = [...this.users.values()].find(
      (user) => visibleTo(user, input.botId) && matchesForGetOrCreate(user.tags, input.tags, input.discriminateByTags)
    )
    if (existing) return { user: existing, created: false }
    return { user: this.createUser(input), created: true }
  }

  // Conversations

  public createConversation(input: {
    channel: string
    tags?: Tags
    integration: string
    botId?: string
  }): StoredConversation {
    const at = nowIso()
    const conversation: StoredConversation = {
      id: newId('conv'),
      ...(input.botId !== undefined && { botId: input.botId }),
      createdAt: at,
      updatedAt: at,
      channel: input.channel,
      integration: input.integration,
      tags: withoutEmptyTags(input.tags ?? {}),
    }
    this.conversations.set(conversation.id, conversation)
    this.emit('conversation', { kind: 'created', conversation })
    return conversation
  }

  public getConversation(id: string): StoredConversation {
    return this.conversations.get(id) ?? this.throwNotFound('Conversation', id)
  }

  public updateConversation(id: string, patch: { tags?: Tags; currentTaskId?: string }): StoredConversation {
    const current = this.getConversation(id)
    const updated: StoredConversation = {
      ...current,
      updatedAt: nowIso(),
      tags: patch.tags ? mergeTags(current.tags, patch.tags) : current.tags,
      ...(patch.currentTaskId !== undefined && { currentTaskId: patch.currentTaskId }),
    }
    this.conversations.set(id, updated)
    this.emit('conversation', { kind: 'updated', conversation: updated })
    return updated
  }

  public deleteConversation(id: string): void {
    const conversation = this.getConversation(id)
    for (const message of [...this.messages.values()]) {
      if (message.conversationId === id) this.deleteMessage(message.id)
    }
    this.conversations.delete(id)
    this.emit('conversation', { kind: 'deleted', conversation })
  }

  public listConversations(
    filter: DateRange & {
      channel?: string
      tags?: Tags
      integrationName?: string
      participantIds?: string[]
      sortField?: DateField
      sortDirection?: SortDirection
      botId?: string
    } = {}
  ): StoredConversation[] {
    const conversations = [...this.conversations.values()].filter(
      (conversation) =>
        visibleTo(conversation, filter.botId) &&
        (filter.channel === undefined || conversation.channel === filter.channel) &&
        (filter.integrationName === undefined || conversation.integration === filter.integrationName) &&
        matchesTags(conversation.tags, filter.tags) &&
        (filter.participantIds ?? []).every((userId) => this.authorsOf(conversation.id).has(userId)) &&
        inDateRange(conversation.createdAt, filter)
    )
    return sortByDate(conversations, filter.sortField ?? 'createdAt', filter.sortDirection ?? 'desc')
  }

  public getOrCreateConversation(input: {
    channel: string
    tags: Tags
    integration: string
    discriminateByTags?: string[]
    botId?: string
  }): { conversation: StoredConversation; created: boolean } {
    const existing = [...this.conversations.values()].find(
      (conversation) =>
        visibleTo(conversation, input.botId) &&
        conversation.channel === input.channel &&
        conversation.integration === input.integration &&
        matchesForGetOrCreate(conversation.tags, input.tags, input.discriminateByTags)
    )
    if (existing) return { conversation: existing, created: false }
    return { conversation: this.createConversation(input), created: true }
  }

  // Messages

  public createMessage(input: {
    conversationId: string
    userId: string
    type: string
    payload: JsonObject
    tags?: Tags
    direction: MessageDirection
    origin?: 'synthetic'
  }): StoredMessage {
    this.getConversation(input.conversationId)
    this.getUser(input.userId)
    const at = nowIso()
    const message: StoredMessage = {
      id: newId('msg'),
      createdAt: at,
      updatedAt: at,
      type: input.type,
      payload: input.payload,
      direction: input.direction,
      userId: input.userId,
      conversationId: input.conversationId,
      tags: withoutEmptyTags(input.tags ?? {}),
      ...(input.origin !== undefined && { origin: input.origin }),
    }
    this.messages.set(message.id, message)
    this.emit('message', { kind: 'created', message })
    return message
  }

  public getMessage(id: string): StoredMessage {
    return this.messages.get(id) ?? this.throwNotFound('Message', id)
  }

  public updateMessage(id: string, patch: { tags: Tags; payload?: JsonObject }): StoredMessage {
    const current = this.getMessage(id)
    const updated: StoredMessage = {
      ...current,
      updatedAt: nowIso(),
      tags: mergeTags(current.tags, patch.tags),
      payload: patch.payload ?? current.payload,
    }
    this.messages.set(id, updated)
    this.emit('message', { kind: 'updated', message: updated })
    return updated
  }

  public deleteMessage(id: string): void {
    const message = this.getMessage(id)
    this.messages.delete(id)
    this.emit('message', { kind: 'deleted', message })
  }

  /** Newest first, like the Botpress API. */
  public listMessages(
    filter: DateRange & { conversationId?: string; tags?: Tags; botId?: string } = {}
  ): StoredMessage[] {
    const messages = [...this.messages.values()].filter(
      (message) =>
        (filter.botId === undefined || visibleTo(this.conversations.get(message.conversationId) ?? {}, filter.botId)) &&
        (filter.conversationId === undefined || message.conversationId === filter.conversationId) &&
        matchesTags(message.tags, filter.tags) &&
        inDateRange(message.createdAt, filter)
    )
    return sortByDate(messages, 'createdAt', 'desc')
  }

  /** Messages of a conversation in creation order (oldest first). */
  public messagesOf(conversationId: string): StoredMessage[] {
    return [...this.messages.values()].filter((message) => message.conversationId === conversationId)
  }

  public getOrCreateMessage(input: {
    conversationId: string
    userId: string
    type: string
    payload: JsonObject
    tags: Tags
    direction: MessageDirection
    origin?: 'synthetic'
    discriminateByTags?: string[]
  }): { message: StoredMessage; created: boolean } {
    this.getConversation(input.conversationId)
    const existing = [...this.messages.values()].find(
      (message) =>
        message.conversationId === input.conversationId &&
        matchesForGetOrCreate(message.tags, input.tags, input.discriminateByTags)
    )
    if (existing) return { message: existing, created: false }
    return { message: this.createMessage(input), created: true }
  }

  // Events

  public createEvent(input: {
    type: string
    payload: JsonObject
    conversationId?: string
    userId?: string
    messageId?: string
    botId?: string
    schedule?: { delay?: number; dateTime?: string }
  }): StoredEvent {
    if (input.conversationId !== undefined) this.getConversation(input.conversationId)
    if (input.userId !== undefined) this.getUser(input.userId)
    if (input.messageId !== undefined) this.getMessage(input.messageId)
    const event: StoredEvent = {
      id: newId('evt'),
      ...(input.botId !== undefined && { botId: input.botId }),
      createdAt: nowIso(),
      type: input.type,
      payload: input.payload,
      ...(input.conversationId !== undefined && { conversationId: input.conversationId }),
      ...(input.userId !== undefined && { userId: input.userId }),
      ...(input.messageId !== undefined && { messageId: input.messageId }),
      status: 'pending',
      failureReason: null,
    }
    // A scheduled event is stored at once (listed as scheduled) and reaches the bot when due.
    const dueInMs =
      input.schedule?.delay ?? (input.schedule?.dateTime ? Date.parse(input.schedule.dateTime) - Date.now() : 0)
    if (dueInMs > 0) {
      this.events.set(event.id, { ...event, status: 'scheduled' })
      const timer = setTimeout(() => {
        this.scheduledTimers.delete(timer)
        if (!this.events.has(event.id)) return
        this.events.set(event.id, event)
        this.emit('event', { kind: 'created', event })
      }, dueInMs)
      this.scheduledTimers.add(timer)
      return { ...event, status: 'scheduled' }
    }
    this.events.set(event.id, event)
    this.emit('event', { kind: 'created', event })
    return event
  }

  private readonly scheduledTimers = new Set<NodeJS.Timeout>()

  /** Scheduled events not due yet are dropped (the testbed is closing). */
  public cancelScheduled(): void {
    for (const timer of this.scheduledTimers) clearTimeout(timer)
    this.scheduledTimers.clear()
  }

  public getEvent(id: string): StoredEvent {
    return this.events.get(id) ?? this.throwNotFound('Event', id)
  }

  public setEventStatus(id: string, status: EventStatus, failureReason: string | null = null): StoredEvent {
    const updated: StoredEvent = { ...this.getEvent(id), status, failureReason }
    this.events.set(id, updated)
    this.emit('event', { kind: 'updated', event: updated })
    return updated
  }

  /** Newest first. */
  public listEvents(
    filter: {
      type?: string
      conversationId?: string
      userId?: string
      messageId?: string
      status?: EventStatus
      botId?: string
    } = {}
  ): StoredEvent[] {
    const events = [...this.events.values()].filter(
      (event) =>
        visibleTo(event, filter.botId) &&
        (filter.type === undefined || event.type === filter.type) &&
        (filter.conversationId === undefined || event.conversationId === filter.conversationId) &&
        (filter.userId === undefined || event.userId === filter.userId) &&
        (filter.messageId === undefined || event.messageId === filter.messageId) &&
        (filter.status === undefined || event.status === filter.status)
    )
    return sortByDate(events, 'createdAt', 'desc')
  }

  // States

  /** The state, or undefined when unset or expired (an expired state is dropped). */
  public findState(type: StateType, resourceId: string, name: string): StoredState | undefined {
    const key = stateKey(type, resourceId, name)
    const state = this.states.get(key)
    if (state && state.expiresAt !== null && Date.now() >= state.expiresAt) {
      this.states.delete(key)
      this.emit('state', { kind: 'deleted', state })
      return undefined
    }
    return state
  }

  public getState(type: StateType, resourceId: string, name: string): StoredState {
    return this.findState(type, resourceId, name) ?? this.throwNotFound('State', stateKey(type, resourceId, name))
  }

  /** Sets (or, with a null payload, deletes) a state. `expiryMs` undefined keeps the current expiry. */
  public setState(input: {
    botId: string
    type: StateType
    resourceId: string
    name: string
    payload: JsonObject | null
    expiryMs?: number | null
  }): StoredState {
    this.assertStateOwnerExists(input.type, input.resourceId)
    const key = stateKey(input.type, input.resourceId, input.name)
    const current = this.findState(input.type, input.resourceId, input.name)
    const at = nowIso()
    const expiryMs = input.expiryMs === undefined ? (current?.expiryMs ?? null) : input.expiryMs
    const state: StoredState = {
      id: current?.id ?? newId('state'),
      createdAt: current?.createdAt ?? at,
      updatedAt: at,
      botId: input.botId,
      ...(input.type === 'conversation' && { conversationId: input.resourceId }),
      ...(input.type === 'user' && { userId: input.resourceId }),
      name: input.name,
      type: input.type,
      resourceId: input.resourceId,
      payload: input.payload ?? {},
      expiryMs,
      expiresAt: expiryMs === null ? null : Date.now() + expiryMs,
    }
    if (input.payload === null) {
      if (current) {
        this.states.delete(key)
        this.emit('state', { kind: 'deleted', state: current })
      }
      return state
    }
    this.states.set(key, state)
    this.emit('state', { kind: current ? 'updated' : 'created', state })
    return state
  }

  public getOrSetState(input: {
    botId: string
    type: StateType
    resourceId: string
    name: string
    payload: JsonObject
    expiryMs?: number | null
  }): { state: StoredState; created: boolean } {
    const existing = this.findState(input.type, input.resourceId, input.name)
    if (existing) return { state: existing, created: false }
    return { state: this.setState(input), created: true }
  }

  /** Shallow-merges into an existing state's payload; 404 when the state is unset. */
  public patchState(type: StateType, resourceId: string, name: string, payload: JsonObject): StoredState {
    const current = this.getState(type, resourceId, name)
    return this.setState({ ...current, payload: { ...current.payload, ...payload } })
  }

  public setStateExpiry(type: StateType, resourceId: string, name: string, expiryMs: number | null): StoredState {
    const current = this.getState(type, resourceId, name)
    return this.setState({ ...current, expiryMs })
  }

  // Files

  public upsertFile(input: {
    botId: string
    key: string
    size: number
    contentType?: string
    tags?: Tags
    metadata?: JsonObject
    accessPolicies?: FileAccessPolicy[]
    index?: boolean
    expiresAt?: string
    owner: FileOwner
  }): StoredFile {
    const current = this.findFile(input.key)
    const at = nowIso()
    const file: StoredFile = {
      id: current?.id ?? newId('file'),
      botId: input.botId,
      key: input.key,
      size: input.size,
      contentType: input.contentType ?? inferContentType(input.key),
      tags: input.tags ?? {},
      metadata: input.metadata ?? {},
      createdAt: current?.createdAt ?? at,
      updatedAt: at,
      accessPolicies: input.accessPolicies ?? [],
      index: input.index ?? false,
      status: 'upload_pending',
      ...(input.expiresAt !== undefined && { expiresAt: input.expiresAt }),
      owner: input.owner,
      uploadToken: randomBytes(16).toString('hex'),
    }
    this.files.set(file.id, file)
    this.emit('file', { kind: current ? 'updated' : 'created', file })
    return file
  }

  /** By id or by key, like the Botpress files API. */
  public findFile(idOrKey: string): StoredFile | undefined {
    return this.files.get(idOrKey) ?? [...this.files.values()].find((file) => file.key === idOrKey)
  }

  public getFile(idOrKey: string): StoredFile {
    return this.findFile(idOrKey) ?? this.throwNotFound('File', idOrKey)
  }

  public completeUpload(id: string, content: Buffer, contentType: string | undefined): StoredFile {
    const current = this.getFile(id)
    const updated: StoredFile = {
      ...current,
      content,
      size: content.byteLength,
      contentType: contentType ?? current.contentType,
      status: 'upload_completed',
      updatedAt: nowIso(),
    }
    this.files.set(id, updated)
    this.emit('file', { kind: 'updated', file: updated })
    return updated
  }

  public deleteFile(idOrKey: string): void {
    const file = this.getFile(idOrKey)
    this.files.delete(file.id)
    this.emit('file', { kind: 'deleted', file })
  }

  // Integrations

  /**
   * Botpress's identifier semantics: one installation owns an identifier at a time, and the newest
   * to claim it replaces the previous owner (who then receives none of its global webhooks).
   */
  public configureIntegration(
    integrationId: string,
    settings: { identifier?: string | null; scheduleRegisterCall?: string }
  ): IntegrationSettings {
    if (settings.identifier) {
      for (const other of this.integrationSettings.values()) {
        if (other.integrationId !== integrationId && other.identifier === settings.identifier) other.identifier = null
      }
    }
    const configured: IntegrationSettings = {
      ...this.integrationSettings.get(integrationId),
      integrationId,
      ...(settings.identifier !== undefined && { identifier: settings.identifier }),
      ...(settings.scheduleRegisterCall !== undefined && { scheduleRegisterCall: settings.scheduleRegisterCall }),
      updatedAt: nowIso(),
    }
    this.integrationSettings.set(integrationId, configured)
    return configured
  }

  /** The installation that owns an identifier, if any. */
  public ownerOfIdentifier(identifier: string): string | undefined {
    for (const settings of this.integrationSettings.values()) {
      if (settings.identifier === identifier) return settings.integrationId
    }
    return undefined
  }

  // Helpers

  /** Users who wrote at least one message in the conversation (Botpress's participants, approximately). */
  private authorsOf(conversationId: string): Set<string> {
    const authors = new Set<string>()
    for (const message of this.messages.values()) {
      if (message.conversationId === conversationId) authors.add(message.userId)
    }
    return authors
  }

  private assertStateOwnerExists(type: StateType, resourceId: string): void {
    if (type === 'conversation') this.getConversation(resourceId)
    if (type === 'user') this.getUser(resourceId)
    if (resourceId === '') throw invalidPayload('A state needs a non-empty id')
  }

  private throwNotFound(what: string, id: string): never {
    throw notFound(what, id)
  }
}
