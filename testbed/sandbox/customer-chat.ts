// The customer's side of the sandbox: a small canned bot that escalates to HubSpot through the
// plugin-like HitlBot, then relays the customer's messages until the agent or the customer ends it.
import { Client } from '@botpress/client'
import type { JsonObject, StoredMessage } from '../botpress'
import { DriverError } from '../botpress/driver'
import { PLUGIN_MESSAGES, type HistoryItem, type HitlSession, type SessionStatus } from '../botpress/hitl-bot'
import type { World } from '../world'
import type { EventLog } from './event-log'

export type ChatAttachment = { name: string; url: string; isImage: boolean }

export type ChatLine = {
  id: number
  at: string
  from: 'customer' | 'bot' | 'agent' | 'status'
  text: string
  attachment?: ChatAttachment
  agent?: { name: string; pictureUrl?: string }
  // A customer message forwarded to HubSpot: 'held' while HubSpot refused it and the integration
  // retries it (or keeps it for later), 'delivered' once HubSpot took it after being held.
  delivery?: 'sending' | 'held' | 'delivered'
  note?: string
}

// Called before the integration publishes to HubSpot for the customer (the sandbox arms its faults).
export type PublishHooks = { beforePublish: () => void }

export type ChatMode = 'bot' | 'escalating' | 'waiting' | 'with-agent'

export type CustomerSnapshot = {
  name: string
  email: string
  mode: ChatMode
  agentName?: string
  // False while the agent only answered (the plugin took them for the agent) and HubSpot shows nobody assigned.
  assignedInHubSpot?: boolean
  threadId?: string
  lines: ChatLine[]
}

export type CustomerFile = { name: string; contentType: string; data: Buffer }

// Who the customer says they are when the bot escalates: the plugin passes it in its email field.
export const IDENTITIES = {
  email: 'jane.doe@example.com',
  phone: '+1 (514) 555-0100',
  'new-email': 'jane.newcomer@example.com',
  none: undefined,
} as const
export type Identity = keyof typeof IDENTITIES

const ESCALATION_WORDS = /\b(agent|human|person|someone|representative|operator)\b/i

const CANNED_REPLIES: { match: RegExp; reply: string }[] = [
  {
    match: /\b(hi|hello|hey|bonjour)\b/i,
    reply: 'Hi! I am the demo bot. Ask me about opening hours or shipping, or type "agent" to talk to a human.',
  },
  { match: /\b(hours?|open|opening|close)\b/i, reply: 'We are open Monday to Friday, 9:00 to 17:00 (Eastern time).' },
  {
    match: /\b(ship|shipping|delivery|parcel|order|package)\b/i,
    reply: 'Orders ship within 2 business days, and you get a tracking link by email.',
  },
]
const FALLBACK_REPLY = 'I am only a small demo bot. Type "agent" or click "Talk to a human" to reach a person.'

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

// The integration's own sentence, without the driver's "Integration answered … with 400: {…}" envelope.
export const integrationMessage = (error: unknown): string => {
  if (error instanceof DriverError && typeof error.body === 'object' && error.body !== null) {
    const message = (error.body as { message?: unknown }).message
    if (typeof message === 'string' && message.trim()) return message.trim()
  }
  return errorMessage(error)
}

// The last segment of a file URL, as a name to show ("label.png").
const fileNameOf = (url: string): string => {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '')
  } catch {
    return ''
  }
}

export class CustomerChat {
  private readonly lines: ChatLine[] = []
  private nextLineId = 1
  // Lines before this index belong to an earlier escalation and are not sent as history again.
  private historyStart = 0
  private session: HitlSession | undefined
  // Every hitl conversation this chat escalated to: the plugin's closing notices arrive after a session ends.
  private readonly escalations = new Set<string>()
  private mode: ChatMode = 'bot'
  private agentUserId: string | undefined
  private agentName: string | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private uploads = 0
  private identity: Identity = 'email'
  private readonly unsubscribe: () => void
  // The customer message the integration is publishing right now.
  private inFlight: ChatLine | undefined

  public constructor(
    private readonly world: World,
    private readonly log: EventLog,
    private readonly onChange: () => void,
    private readonly hooks: PublishHooks = { beforePublish: () => undefined }
  ) {
    const onUpstream = (session: HitlSession, message: StoredMessage) => this.handleUpstream(session, message)
    const onSessionChanged = (session: HitlSession, status: SessionStatus) => this.handleSessionChanged(session, status)
    // A held message that goes out later (with the next activity, or the register Botpress runs
    // every hour) is marked delivered when the integration tags it sent.
    const onMessage = ({ kind, message }: { kind: string; message: StoredMessage }) => {
      if (kind === 'updated' && message.tags.delivery === 'sent') this.heldWentOut(message.id)
    }
    world.bot.on('upstreamMessage', onUpstream)
    world.bot.on('sessionChanged', onSessionChanged)
    world.bp.store.on('message', onMessage)
    this.unsubscribe = () => {
      world.bot.off('upstreamMessage', onUpstream)
      world.bot.off('sessionChanged', onSessionChanged)
      world.bp.store.off('message', onMessage)
    }
    this.add({ from: 'bot', text: 'Hello! I am the demo bot. Ask me something, or type "agent" to talk to a human.' })
  }

  public dispose(): void {
    this.unsubscribe()
  }

  public setIdentity(identity: Identity): void {
    this.identity = identity
    this.onChange()
  }

  private get customer() {
    const email = IDENTITIES[this.identity]
    return { name: 'Jane Doe', ...(email !== undefined && { email }) }
  }

  public snapshot(): CustomerSnapshot {
    const customer = this.customer
    return {
      name: customer.name,
      email: customer.email ?? 'no email or phone',
      mode: this.mode,
      ...(this.agentName !== undefined && { agentName: this.agentName }),
      ...(this.session &&
        this.agentName !== undefined && {
          assignedInHubSpot: this.world.bot.events(this.session).some((event) => event.type === 'hitlAssigned'),
        }),
      ...(this.session && { threadId: this.threadIdOf(this.session) }),
      lines: [...this.lines],
    }
  }

  public say(text: string): Promise<void> {
    return this.serially(async () => {
      const line = this.add({ from: 'customer', text })
      if (text.trim() === '/end') return this.endSession()
      if (this.session) return this.forward(this.session, line, { type: 'text', payload: { text } })
      if (ESCALATION_WORDS.test(text)) return this.escalate()
      this.add({ from: 'bot', text: CANNED_REPLIES.find((canned) => canned.match.test(text))?.reply ?? FALLBACK_REPLY })
    })
  }

  public sendFile(file: CustomerFile): Promise<void> {
    return this.serially(async () => {
      const url = await this.hostOnBotpress(file)
      const isImage = file.contentType.startsWith('image/')
      const line = this.add({ from: 'customer', text: '', attachment: { name: file.name, url, isImage } })
      if (this.session) {
        const message = isImage
          ? { type: 'image', payload: { imageUrl: url } }
          : { type: 'file', payload: { fileUrl: url, title: file.name } }
        return this.forward(this.session, line, message)
      }
      this.add({
        from: 'bot',
        text: `Thanks, I received ${file.name}. A human agent can look at it: click "Talk to a human".`,
      })
    })
  }

  public requestHuman(): Promise<void> {
    return this.serially(async () => {
      if (this.session) return void this.add({ from: 'bot', text: 'You are already connected to the HubSpot inbox.' })
      return this.escalate()
    })
  }

  public end(): Promise<void> {
    return this.serially(() => this.endSession())
  }

  // A fresh conversation: ends any live session and clears the chat.
  public restart(): Promise<void> {
    return this.serially(async () => {
      if (this.session) await this.endSession()
      this.leaveSession()
      this.lines.length = 0
      this.historyStart = 0
      this.escalations.clear()
      this.add({ from: 'bot', text: 'New conversation. Ask me something, or type "agent" to talk to a human.' })
    })
  }

  private async escalate(): Promise<void> {
    const history = this.history()
    this.mode = 'escalating'
    this.add({ from: 'status', text: 'Escalating to a human agent…' })
    try {
      this.log.add({
        source: 'bot',
        kind: 'action',
        text: `Bot called createUser and startHitl with ${history.length} message(s) of history`,
      })
      const customer = this.customer
      this.hooks.beforePublish()
      const session = await this.world.bot.escalate({
        customer,
        title: `Website chat with ${customer.name}`,
        // No description: the transcript right below already holds the customer's last words.
        history,
      })
      this.session = session
      this.escalations.add(session.conversationId)
      this.mode = 'waiting'
      this.historyStart = this.lines.length
      this.add({ from: 'bot', text: PLUGIN_MESSAGES.handoff })
      this.add({
        from: 'status',
        text: `Escalated: HubSpot thread ${this.threadIdOf(session) ?? '?'} is waiting for an agent`,
      })
    } catch (error) {
      this.mode = 'bot'
      this.add({ from: 'status', text: `Escalation failed: ${integrationMessage(error)}` })
      this.log.add({ source: 'bot', kind: 'error', text: `startHitl failed: ${integrationMessage(error)}` })
    }
  }

  private async endSession(): Promise<void> {
    const session = this.session
    if (!session) return void this.add({ from: 'bot', text: 'There is no session with an agent to end.' })
    this.log.add({ source: 'bot', kind: 'action', text: 'Bot called stopHitl: the customer ended the session' })
    try {
      this.hooks.beforePublish()
      await this.world.bot.end(session)
    } catch (error) {
      this.add({ from: 'status', text: `Could not end the session: ${integrationMessage(error)}` })
      this.log.add({ source: 'bot', kind: 'error', text: `stopHitl failed: ${integrationMessage(error)}` })
    }
  }

  private async forward(
    session: HitlSession,
    line: ChatLine,
    message: { type: string; payload: JsonObject }
  ): Promise<void> {
    this.update(line, { delivery: 'sending' })
    this.inFlight = line
    try {
      this.hooks.beforePublish()
      const sent = await this.world.bot.customerSays(session, message)
      this.inFlight = undefined
      if (this.isOwed(sent.id)) {
        this.heldLines.set(sent.id, line)
        this.update(line, {
          delivery: 'held',
          note: 'Not delivered yet: HubSpot did not take it; the integration keeps it and sends it with the next message',
        })
        this.log.add({
          source: 'bot',
          kind: 'held',
          text: 'A customer message is not delivered yet: the integration keeps it and sends it with the next one',
        })
      } else if (line.delivery === 'held') {
        this.update(line, { delivery: 'delivered', note: 'Delivered after the retry' })
        this.log.add({
          source: 'hubspot',
          kind: 'delivered',
          text: 'The held customer message reached HubSpot on the retry',
        })
      } else {
        this.update(line, { delivery: undefined })
      }
    } catch (error) {
      this.inFlight = undefined
      this.update(line, { delivery: undefined })
      this.add({ from: 'status', text: `Not delivered to the agent: ${integrationMessage(error)}` })
      this.log.add({ source: 'bot', kind: 'error', text: `message_created failed: ${integrationMessage(error)}` })
    }
  }

  // HubSpot refused a publish (429 or 5xx) while a customer message was on its way: it is held
  // until the integration's retry goes through.
  public publishRefused(status: number): void {
    const line = this.inFlight
    if (!line) return
    const reason = status === 429 ? 'HubSpot answered 429 (rate limit)' : `HubSpot answered ${status}`
    this.update(line, { delivery: 'held', note: `Not delivered yet: ${reason}; the integration retries` })
    this.log.add({
      source: 'hubspot',
      kind: 'held',
      text: `A customer message is not delivered yet: ${reason}; the integration retries`,
      status,
    })
  }

  // Messages the integration keeps for later (its outbox, a conversation state).
  // The integration keeps a message HubSpot did not take as owed, on the message itself.
  private isOwed(messageId: string): boolean {
    return this.world.bp.store.messages.get(messageId)?.tags.delivery === 'owed'
  }

  private readonly heldLines = new Map<string, ChatLine>()

  private heldWentOut(messageId: string): void {
    const line = this.heldLines.get(messageId)
    if (!line) return
    this.heldLines.delete(messageId)
    this.update(line, { delivery: 'delivered', note: 'Delivered: the integration sent it once HubSpot took it' })
    this.log.add({ source: 'hubspot', kind: 'delivered', text: 'A held customer message reached HubSpot' })
  }

  // The chat since the last escalation, as the plugin passes it to startHitl.
  private history(): HistoryItem[] {
    return this.lines.slice(this.historyStart).flatMap((line): HistoryItem[] => {
      if (line.from !== 'customer' && line.from !== 'bot') return []
      if (line.attachment) {
        const item = line.attachment.isImage
          ? { type: 'image', payload: { imageUrl: line.attachment.url } }
          : { type: 'file', payload: { fileUrl: line.attachment.url, title: line.attachment.name } }
        return [{ from: line.from, ...item }]
      }
      return [{ from: line.from, type: 'text', payload: { text: line.text } }]
    })
  }

  private handleUpstream(session: HitlSession, message: StoredMessage): void {
    if (!this.escalations.has(session.conversationId)) return
    const downstreamId = message.tags.downstream
    if (downstreamId === undefined) {
      this.add({
        from: 'bot',
        text: typeof message.payload.text === 'string' ? message.payload.text : `(${message.type})`,
      })
      return
    }
    const authorId = this.world.bp.store.messages.get(downstreamId)?.userId
    const author = authorId === undefined ? undefined : this.world.bp.store.users.get(authorId)
    const agent = {
      name: author?.name ?? 'Agent',
      ...(author?.pictureUrl !== undefined && { pictureUrl: author.pictureUrl }),
    }
    // The badge names the agent who last replied (or was last assigned).
    if (this.session?.conversationId === session.conversationId && this.agentName !== undefined) {
      this.agentName = agent.name
    }
    this.add({ from: 'agent', agent, ...this.renderPayload(message) })
  }

  private handleSessionChanged(session: HitlSession, status: SessionStatus): void {
    if (session.conversationId !== this.session?.conversationId) return
    if (!status.active) {
      const text =
        status.endReason === 'agent-closed-ticket'
          ? `${this.agentName ?? 'The agent'} closed the conversation in HubSpot: you are back with the bot`
          : 'You ended the session with the agent: you are back with the bot'
      this.leaveSession()
      this.add({ from: 'status', text })
      return
    }
    if (status.agentUserId !== undefined && status.agentUserId !== this.agentUserId) {
      this.agentUserId = status.agentUserId
      this.agentName = status.agentName ?? 'An agent'
      this.mode = 'with-agent'
      this.add({ from: 'status', text: `Agent assigned: ${this.agentName}` })
    }
  }

  private leaveSession(): void {
    this.session = undefined
    this.mode = 'bot'
    this.agentUserId = undefined
    this.agentName = undefined
    this.historyStart = this.lines.length
  }

  // Each file shows under its own name: the message's title, else the last part of its URL.
  private renderPayload(message: StoredMessage): { text: string; attachment?: ChatAttachment } {
    const payload = message.payload
    const text = (key: string): string => (typeof payload[key] === 'string' ? (payload[key] as string) : '')
    const urlKey = { image: 'imageUrl', file: 'fileUrl', audio: 'audioUrl', video: 'videoUrl' }[message.type]
    if (!urlKey) return { text: message.type === 'text' ? text('text') : `(${message.type} message)` }
    const url = text(urlKey)
    return {
      text: '',
      attachment: { name: text('title') || fileNameOf(url) || message.type, url, isImage: message.type === 'image' },
    }
  }

  private async hostOnBotpress(file: CustomerFile): Promise<string> {
    const client = new Client({ apiUrl: this.world.bp.url, token: this.world.bp.token, botId: this.world.driver.botId })
    // The key ends the file's URL, which names the attachment in HubSpot: each upload has a folder of
    // its own, so the file keeps its name, and a second "photo.png" is still "photo.png".
    this.uploads += 1
    const { file: hosted } = await client.uploadFile({
      key: `customer-uploads/${this.uploads}/${file.name.replace(/[/\\]/g, '_')}`,
      content: file.data,
      contentType: file.contentType,
      accessPolicies: ['public_content'],
    })
    if (!hosted.url) throw new Error('The Botpress stand-in returned no URL for the uploaded file')
    return hosted.url
  }

  private threadIdOf(session: HitlSession): string | undefined {
    return this.world.bp.store.conversations.get(session.conversationId)?.tags.hubspotThreadId
  }

  private add(line: Omit<ChatLine, 'id' | 'at'>): ChatLine {
    const added = { ...line, id: this.nextLineId++, at: new Date().toISOString() }
    this.lines.push(added)
    this.onChange()
    return added
  }

  private update(line: ChatLine, change: Partial<ChatLine>): void {
    Object.assign(line, change)
    if (change.delivery === undefined) delete line.note
    if (line.delivery === undefined) delete line.delivery
    this.onChange()
  }

  // Customer actions run one at a time, in the order they were made.
  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task)
    this.queue = run.catch(() => undefined)
    return run
  }
}
