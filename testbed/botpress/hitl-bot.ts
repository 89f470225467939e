import { z } from 'zod'
import type { BotpressStandIn } from './index'
import type { IntegrationDriver } from './driver'
import { visibleTo, type JsonObject, type StoredEvent, type StoredMessage, type StoreEvents } from './store'
import { TypedEmitter } from './typed-emitter'

/** The plugin's default texts (its configuration can override them; these are what a bot gets out of the box). */
export const PLUGIN_MESSAGES = {
  handoff: 'I have escalated this conversation to a human agent. They should be with you shortly.',
  agentAssigned: 'A human agent has joined the conversation.',
  hitlStopped: 'The human agent closed the conversation. I will continue assisting you.',
  userCancelled: '( The user has ended the session. )',
  userClosed: 'You have ended the session with the human agent.',
  assignmentTimedOut: 'No human agent is available right now. I will continue assisting you.',
  assignmentTimeoutNotice: '( The session was cancelled: no agent was assigned in time. )',
} as const

/**
 * The plugin's timing (plugins/hitl: start-hitl.ts, before-incoming-event/hitl-assigned.ts,
 * before-incoming-message/all.ts): the session becomes active only after startHitl has returned
 * and the plugin has linked the conversations (`activationDelayMs`, a few Botpress calls); until
 * then, and after it ends, hitlAssigned and agent messages are dropped silently.
 */
export type HitlBotOptions = {
  /** Delay between startHitl returning and the session turning active (default 250 ms). */
  activationDelayMs?: number
  /** The plugin's agentAssignedTimeoutSeconds: an active session still unassigned then is ended with stopHitl. */
  agentAssignedTimeoutSeconds?: number
}

// The plugin's alias in the bot: its tags are prefixed with it.
const PLUGIN_ALIAS = 'hitl'
// The link comes two Botpress calls (saving the start message, setting hitlActive) before activation.
const LINK_BEFORE_ACTIVATION_MS = 120
const DEFAULT_ACTIVATION_DELAY_MS = 250

/** Upstream channel the customer chats on (a webchat-like integration that only exists in the store). */
const UPSTREAM_CHANNEL = 'channel'
const UPSTREAM_INTEGRATION = 'webchat'
const HITL_EVENT_TYPES = ['hitlAssigned', 'hitlStopped'] as const

export type EscalationCustomer = {
  name: string
  /** Email or phone number; the plugin's fake `<userId>@no-reply.<botId>.botpress.com` when absent. */
  email?: string
  pictureUrl?: string
}

export type HistoryItem = {
  from: 'customer' | 'bot'
  type: string
  payload: JsonObject
}

export type EscalateInput = {
  customer: EscalationCustomer
  history?: HistoryItem[]
  title?: string
  description?: string
  hitlSession?: object
}

export type HitlSession = {
  /** The customer's conversation on the upstream channel. */
  upstreamConversationId: string
  /** The `hitl` conversation the integration created in `startHitl`. */
  conversationId: string
  /** The customer's user on the upstream channel. */
  upstreamUserId: string
  /** The integration user of the customer, returned by its `createUser`. */
  userId: string
}

export type SessionStatus = {
  active: boolean
  /** Agent user from `hitlAssigned`, or the first agent who wrote (the plugin's fallback assignment). */
  agentUserId?: string
  agentName?: string
  endReason?: 'agent-closed-ticket' | 'user-closed' | 'assignment-timeout'
}

export type HitlBotEvents = {
  /** An agent message reached the customer (forwarded upstream). */
  agentMessage: [session: HitlSession, message: StoredMessage]
  /** A hitlAssigned / hitlStopped event of a session. */
  hitlEvent: [session: HitlSession, event: StoredEvent]
  /** Anything the customer sees on the upstream conversation, including the plugin's notices. */
  upstreamMessage: [session: HitlSession, message: StoredMessage]
  /** Activation, assignment or end of a session. */
  sessionChanged: [session: HitlSession, status: SessionStatus]
}

type SessionRecord = {
  session: HitlSession
  status: SessionStatus
  /** hitlAssigned events and agent messages the plugin dropped because the session was not active. */
  dropped: { events: StoredEvent[]; messages: StoredMessage[] }
}

const createUserOutput = z.object({ userId: z.string().min(1) })
const startHitlOutput = z.object({ conversationId: z.string().min(1) })

const conversationIdOf = (event: StoredEvent): string | undefined =>
  typeof event.payload.conversationId === 'string' ? event.payload.conversationId : event.conversationId

/**
 * A bot running the hitl plugin, reduced to what the integration can observe: it escalates with
 * createUser + startHitl, forwards the customer's messages downstream as the bot with
 * `payload.userId`, reacts to hitlAssigned / hitlStopped, and closes with stopHitl.
 */
export class HitlBot extends TypedEmitter<HitlBotEvents> {
  private readonly sessions = new Map<string, SessionRecord>()
  /** Upstream user id → integration user id (the plugin's user link). */
  private readonly linkedUsers = new Map<string, string>()
  // A bot's plugin sees its own bot's messages and events only (several bots may share the stand-in).
  private readonly onMessage = (change: StoreEvents['message'][0]): void => {
    if (visibleTo(this.bp.store.conversations.get(change.message.conversationId) ?? {}, this.driver.botId)) {
      this.handleMessage(change)
    }
  }
  private readonly onEvent = (change: StoreEvents['event'][0]): void => {
    if (visibleTo(change.event, this.driver.botId)) this.handleEvent(change)
  }
  /** What arrived for a conversation before its startHitl returned: dropped, attributed once the session is known. */
  private readonly early = new Map<string, SessionRecord['dropped']>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly activationDelayMs: number

  public constructor(
    private readonly bp: BotpressStandIn,
    private readonly driver: IntegrationDriver,
    private readonly options: HitlBotOptions = {}
  ) {
    super()
    this.activationDelayMs = options.activationDelayMs ?? DEFAULT_ACTIVATION_DELAY_MS
    bp.on('message', this.onMessage)
    bp.on('event', this.onEvent)
  }

  /** Stops listening to the stand-in. */
  public dispose(): void {
    this.bp.off('message', this.onMessage)
    this.bp.off('event', this.onEvent)
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  /** What the plugin dropped for the session because it was not active yet (or any more). */
  public dropped(session: HitlSession): SessionRecord['dropped'] {
    const record = this.sessions.get(session.conversationId)
    return record
      ? { events: [...record.dropped.events], messages: [...record.dropped.messages] }
      : { events: [], messages: [] }
  }

  private later(ms: number, work: () => void | Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        void Promise.resolve(work()).finally(resolve)
      }, ms)
      this.timers.add(timer)
    })
  }

  public async escalate(input: EscalateInput): Promise<HitlSession> {
    const store = this.bp.store
    const customer = store.createUser({
      name: input.customer.name,
      tags: {},
      ...(input.customer.pictureUrl !== undefined && { pictureUrl: input.customer.pictureUrl }),
    })
    const upstream = store.createConversation({
      channel: UPSTREAM_CHANNEL,
      integration: UPSTREAM_INTEGRATION,
      tags: {},
    })
    for (const item of input.history ?? []) {
      store.createMessage({
        conversationId: upstream.id,
        userId: item.from === 'customer' ? customer.id : this.driver.botUserId,
        type: item.type,
        payload: item.payload,
        direction: item.from === 'customer' ? 'incoming' : 'outgoing',
      })
    }

    this.sayUpstream(undefined, upstream.id, PLUGIN_MESSAGES.handoff)
    const userId = await this.linkUser(customer.id, input.customer)
    const messageHistory = (input.history ?? []).map((item) => ({
      source: item.from === 'customer' ? { type: 'user', userId } : { type: 'bot' },
      type: item.type,
      payload: item.payload,
    }))

    const started = startHitlOutput.safeParse(
      await this.driver.callAction('startHitl', {
        userId,
        title: input.title,
        description: input.description,
        hitlSession: input.hitlSession,
        messageHistory,
      })
    )
    if (!started.success) throw new Error(`startHitl returned no conversationId: ${started.error.message}`)
    const conversation = store.conversations.get(started.data.conversationId)
    if (!conversation) {
      throw new Error(`startHitl returned ${started.data.conversationId}, which is no Botpress conversation`)
    }
    if (conversation.channel !== 'hitl') {
      throw new Error(
        `startHitl returned conversation ${conversation.id} on channel '${conversation.channel}', not 'hitl'`
      )
    }

    const session: HitlSession = {
      upstreamConversationId: upstream.id,
      conversationId: conversation.id,
      upstreamUserId: customer.id,
      userId,
    }
    const dropped = this.early.get(conversation.id) ?? { events: [], messages: [] }
    this.early.delete(conversation.id)
    const record: SessionRecord = { session, status: { active: false }, dropped }
    this.sessions.set(conversation.id, record)
    // The plugin links both conversations (tags `<alias>#upstream` / `#downstream`, which the
    // integration can read), then saves the start message and sets hitlActive: the link comes about
    // two Botpress calls before activation (plugins/hitl start-hitl.ts).
    const linkAfterMs = Math.max(0, this.activationDelayMs - LINK_BEFORE_ACTIVATION_MS)
    void this.later(linkAfterMs, () => {
      store.updateConversation(conversation.id, { tags: { [`${PLUGIN_ALIAS}#upstream`]: upstream.id } })
      store.updateConversation(upstream.id, { tags: { [`${PLUGIN_ALIAS}#downstream`]: conversation.id } })
    })
    await this.later(this.activationDelayMs, () => {
      record.status.active = true
      this.emit('sessionChanged', session, { ...record.status })
      const timeout = this.options.agentAssignedTimeoutSeconds
      if (timeout !== undefined) void this.later(timeout * 1000, () => this.assignmentTimeout(record))
    })
    return session
  }

  // The plugin's humanAgentAssignedTimeout: still active and unassigned, the session is cancelled.
  private async assignmentTimeout(record: SessionRecord): Promise<void> {
    if (!record.status.active || record.status.agentUserId !== undefined) return
    await this.notice(record.session, PLUGIN_MESSAGES.assignmentTimeoutNotice)
    this.deactivate(record, 'assignment-timeout')
    await this.driver.callAction('stopHitl', { conversationId: record.session.conversationId })
    this.sayUpstream(record.session, record.session.upstreamConversationId, PLUGIN_MESSAGES.assignmentTimedOut)
  }

  private earlyDropsOf(conversationId: string): SessionRecord['dropped'] {
    let drops = this.early.get(conversationId)
    if (!drops) this.early.set(conversationId, (drops = { events: [], messages: [] }))
    return drops
  }

  /** The customer writes while the session is active: the plugin re-creates the message downstream. */
  public async customerSays(
    session: HitlSession,
    message: { type: string; payload: JsonObject }
  ): Promise<StoredMessage> {
    const record = this.activeRecord(session)
    this.bp.store.createMessage({
      conversationId: session.upstreamConversationId,
      userId: session.upstreamUserId,
      type: message.type,
      payload: message.payload,
      direction: 'incoming',
    })
    return this.driver.sendMessage({
      conversationId: record.session.conversationId,
      type: message.type,
      payload: { ...message.payload, userId: record.session.userId },
    })
  }

  /** A plugin notice downstream: a text message without `payload.userId`. */
  public async notice(session: HitlSession, text: string): Promise<StoredMessage> {
    return this.driver.sendMessage({ conversationId: session.conversationId, type: 'text', payload: { text } })
  }

  /** The customer's close command: notice downstream, deactivate, then the integration's stopHitl. */
  public async end(session: HitlSession): Promise<void> {
    const record = this.activeRecord(session)
    await this.notice(session, PLUGIN_MESSAGES.userCancelled)
    this.deactivate(record, 'user-closed')
    await this.driver.callAction('stopHitl', { conversationId: session.conversationId })
    this.sayUpstream(record.session, session.upstreamConversationId, PLUGIN_MESSAGES.userClosed)
  }

  /** Messages the integration created on the session's hitl conversation by a user other than the bot, oldest first. */
  public agentMessages(session: HitlSession): StoredMessage[] {
    return this.bp.store
      .messagesOf(session.conversationId)
      .filter((message) => message.userId !== this.driver.botUserId && message.direction === 'incoming')
  }

  /** hitlAssigned / hitlStopped events the integration created for the session, oldest first. */
  public events(session: HitlSession): StoredEvent[] {
    return [...this.bp.store.events.values()].filter(
      (event) => this.isHitlEvent(event) && conversationIdOf(event) === session.conversationId
    )
  }

  /** Everything on the customer's upstream conversation, oldest first. */
  public upstreamMessages(session: HitlSession): StoredMessage[] {
    return this.bp.store.messagesOf(session.upstreamConversationId)
  }

  public isActive(session: HitlSession): boolean {
    return this.sessions.get(session.conversationId)?.status.active ?? false
  }

  public status(session: HitlSession): SessionStatus | undefined {
    const record = this.sessions.get(session.conversationId)
    return record && { ...record.status }
  }

  /** The plugin's UserLinker: one integration createUser per upstream user, reused afterwards. */
  private async linkUser(upstreamUserId: string, customer: EscalationCustomer): Promise<string> {
    const linked = this.linkedUsers.get(upstreamUserId)
    if (linked) return linked
    const email = customer.email ?? `${upstreamUserId}@no-reply.${this.driver.botId}.botpress.com`
    const output = createUserOutput.safeParse(
      await this.driver.callAction('createUser', {
        name: customer.name,
        email,
        ...(customer.pictureUrl !== undefined && { pictureUrl: customer.pictureUrl }),
      })
    )
    if (!output.success) throw new Error(`createUser returned no userId: ${output.error.message}`)
    this.linkedUsers.set(upstreamUserId, output.data.userId)
    return output.data.userId
  }

  private handleMessage({ kind, message }: StoreEvents['message'][0]): void {
    if (kind !== 'created' || message.userId === this.driver.botUserId || message.direction !== 'incoming') return
    const conversation = this.bp.store.conversations.get(message.conversationId)
    if (conversation?.channel !== 'hitl') return
    const record = this.sessions.get(message.conversationId)
    if (!record) {
      this.earlyDropsOf(message.conversationId).messages.push(message)
      return
    }
    if (!record.status.active) {
      record.dropped.messages.push(message)
      return
    }
    if (record.status.agentUserId === undefined) {
      record.status.agentUserId = message.userId
      record.status.agentName = this.bp.store.users.get(message.userId)?.name
      this.emit('sessionChanged', record.session, { ...record.status })
    }
    const forwarded = this.bp.store.createMessage({
      conversationId: record.session.upstreamConversationId,
      userId: this.driver.botUserId,
      type: message.type,
      payload: message.payload,
      tags: { downstream: message.id },
      direction: 'outgoing',
    })
    this.emit('agentMessage', record.session, message)
    this.emit('upstreamMessage', record.session, forwarded)
  }

  private handleEvent({ kind, event }: StoreEvents['event'][0]): void {
    if (kind !== 'created' || !this.isHitlEvent(event)) return
    const conversationId = conversationIdOf(event)
    if (conversationId === undefined) return
    const record = this.sessions.get(conversationId)
    if (!record || !record.status.active) {
      ;(record ? record.dropped : this.earlyDropsOf(conversationId)).events.push(event)
      this.bp.store.setEventStatus(event.id, 'ignored')
      if (record) this.emit('hitlEvent', record.session, event)
      return
    }
    this.emit('hitlEvent', record.session, event)
    if (event.type === 'hitlAssigned') {
      const agentUserId = typeof event.payload.userId === 'string' ? event.payload.userId : undefined
      record.status.agentUserId = agentUserId
      record.status.agentName = agentUserId === undefined ? undefined : this.bp.store.users.get(agentUserId)?.name
      // The plugin records the agent on both conversations (tags humanAgentId, humanAgentName).
      const agentTags = {
        [`${PLUGIN_ALIAS}#humanAgentId`]: agentUserId ?? '',
        [`${PLUGIN_ALIAS}#humanAgentName`]: record.status.agentName ?? 'A Human Agent',
      }
      this.bp.store.updateConversation(record.session.conversationId, { tags: agentTags })
      this.bp.store.updateConversation(record.session.upstreamConversationId, { tags: agentTags })
      this.emit('sessionChanged', record.session, { ...record.status })
      this.sayUpstream(record.session, record.session.upstreamConversationId, PLUGIN_MESSAGES.agentAssigned)
    } else {
      this.sayUpstream(record.session, record.session.upstreamConversationId, PLUGIN_MESSAGES.hitlStopped)
      this.deactivate(record, 'agent-closed-ticket')
    }
    this.bp.store.setEventStatus(event.id, 'processed')
  }

  private isHitlEvent(event: StoredEvent): boolean {
    return (HITL_EVENT_TYPES as readonly string[]).includes(event.type)
  }

  private activeRecord(session: HitlSession): SessionRecord {
    const record = this.sessions.get(session.conversationId)
    if (!record) throw new Error(`No HITL session on conversation ${session.conversationId}`)
    if (!record.status.active) throw new Error(`The HITL session on conversation ${session.conversationId} has ended`)
    return record
  }

  private deactivate(record: SessionRecord, reason: NonNullable<SessionStatus['endReason']>): void {
    record.status.active = false
    record.status.endReason = reason
    this.emit('sessionChanged', record.session, { ...record.status })
  }

  private sayUpstream(session: HitlSession | undefined, upstreamConversationId: string, text: string): void {
    const message = this.bp.store.createMessage({
      conversationId: upstreamConversationId,
      userId: this.driver.botUserId,
      type: 'text',
      payload: { text },
      direction: 'outgoing',
    })
    if (session) this.emit('upstreamMessage', session, message)
  }
}
