import { randomUUID } from 'node:crypto'
import type { BotpressStore, JsonObject, StoredMessage, Tags } from './store'

export type IntegrationOperation =
  | 'register'
  | 'unregister'
  | 'ping'
  | 'action_triggered'
  | 'message_created'
  | 'webhook_received'

export const DEFAULT_INTEGRATION_ALIAS = 'hubspot-inbox-hitl'
/** Botpress Cloud gives an integration call this long before giving up. */
const INTEGRATION_TIMEOUT_MS = 60_000

export type ConnectOptions = {
  /** Where the integration listens (`integration.start(port)`), e.g. `http://127.0.0.1:8072`. */
  integrationUrl: string
  /** The integration's (default) configuration, sent base64-encoded in `x-bp-configuration`. */
  configuration: object
  botId?: string
  /** Defaults to `botId`: the bot authors its messages as the user whose id is the bot id. */
  botUserId?: string
  integrationId?: string
  integrationAlias?: string
  webhookId?: string
  /**
   * `x-bp-configuration-type`: null for the default configuration (one-click), else the name of one
   * of `configurations` ('manual'). Default null, as Botpress sends for the default configuration;
   * the testbed's world asks for 'manual' unless a test asks for one-click.
   */
  configurationType?: string | null
}

/** The HTTP request Botpress Cloud wraps into a `webhook_received` call. */
export type WebhookRequest = {
  method: string
  /** Part of the path after the webhook id, always starting with `/` (`/` for the bare webhook URL). */
  path: string
  /** Query string without the `?`. */
  query: string
  /** Lower-cased names. */
  headers: Record<string, string>
  /** Raw body, exactly the bytes received (as UTF-8); absent for GET and HEAD. */
  body?: string
}

export type IntegrationResponse = {
  status: number
  headers: Record<string, string>
  body: string
}

export type SendMessageInput = {
  conversationId: string
  type: string
  payload: JsonObject
  /** Author of the message; the bot when absent. */
  userId?: string
  tags?: Tags
}

/** The integration answered an operation with a non-2xx status (or could not be reached: status 0). */
export class DriverError extends Error {
  public constructor(
    public readonly operation: IntegrationOperation,
    public readonly status: number,
    /** The response body, parsed as JSON when it is JSON. */
    public readonly body: unknown
  ) {
    super(`Integration answered ${operation} with ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`)
    this.name = 'DriverError'
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Calls an integration over HTTP exactly like Botpress Cloud does: same headers, bodies and response handling. */
export class IntegrationDriver {
  public readonly integrationUrl: string
  public readonly configuration: object
  public readonly botId: string
  public readonly botUserId: string
  public readonly integrationId: string
  public readonly integrationAlias: string
  public readonly webhookId: string
  public readonly webhookUrl: string
  public readonly configurationType: string | null

  public constructor(
    options: ConnectOptions,
    webhookBaseUrl: string,
    private readonly store: BotpressStore,
    private readonly onDisconnect: (driver: IntegrationDriver) => void
  ) {
    this.integrationUrl = options.integrationUrl
    this.configuration = options.configuration
    this.botId = options.botId ?? randomUUID()
    this.botUserId = options.botUserId ?? this.botId
    this.integrationId = options.integrationId ?? randomUUID()
    this.integrationAlias = options.integrationAlias ?? DEFAULT_INTEGRATION_ALIAS
    this.webhookId = options.webhookId ?? randomUUID()
    this.webhookUrl = `${webhookBaseUrl}/${this.webhookId}`
    this.configurationType = options.configurationType ?? null
    if (!store.users.has(this.botUserId)) store.createUser({ id: this.botUserId, name: 'Bot', tags: {} })
  }

  public register(): Promise<void> {
    return this.expectOk('register', { webhookUrl: this.webhookUrl }).then(() => undefined)
  }

  public unregister(): Promise<void> {
    return this.expectOk('unregister', { webhookUrl: this.webhookUrl }).then(() => undefined)
  }

  public ping(): Promise<void> {
    return this.expectOk('ping', {}).then(() => undefined)
  }

  /** Runs an action and returns its `output`. */
  public async callAction(type: string, input: unknown): Promise<unknown> {
    const response = await this.expectOk('action_triggered', { type, input })
    const parsed = parseJson(response.body)
    return isObject(parsed) ? parsed.output : undefined
  }

  /**
   * Creates the message in the store (authored by the bot unless `userId` says otherwise), then
   * delivers it with `message_created`. Returns the stored message as it is once the integration
   * answered, so tags set by `ack` are included.
   */
  public async sendMessage(input: SendMessageInput): Promise<StoredMessage> {
    const conversation = this.store.getConversation(input.conversationId)
    const user = this.store.getUser(input.userId ?? this.botUserId)
    const message = this.store.createMessage({
      conversationId: conversation.id,
      userId: user.id,
      type: input.type,
      payload: input.payload,
      tags: input.tags ?? {},
      direction: 'outgoing',
    })
    await this.expectOk('message_created', {
      type: message.type,
      payload: message.payload,
      conversation,
      user,
      message,
    })
    return this.store.messages.get(message.id) ?? message
  }

  /** Delivers an external HTTP request with `webhook_received`; never throws on a non-2xx answer. */
  public relayWebhook(req: WebhookRequest): Promise<IntegrationResponse> {
    return this.invoke('webhook_received', { req })
  }

  /** One raw call to the integration. Throws DriverError (status 0) only when it cannot be reached. */
  public async invoke(operation: IntegrationOperation, body: unknown): Promise<IntegrationResponse> {
    let response: Response
    try {
      response = await fetch(this.integrationUrl, {
        method: 'POST',
        headers: this.headersFor(operation),
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(INTEGRATION_TIMEOUT_MS),
      })
    } catch (error) {
      throw new DriverError(operation, 0, error instanceof Error ? error.message : String(error))
    }
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      headers[name] = value
    })
    return { status: response.status, headers, body: await response.text() }
  }

  /** Stops routing this driver's webhook URL. */
  public disconnect(): void {
    this.onDisconnect(this)
  }

  private async expectOk(operation: IntegrationOperation, body: unknown): Promise<IntegrationResponse> {
    const response = await this.invoke(operation, body)
    if (response.status < 200 || response.status >= 300) {
      throw new DriverError(operation, response.status, parseJson(response.body))
    }
    return response
  }

  private headersFor(operation: IntegrationOperation): Record<string, string> {
    return {
      'content-type': 'application/json',
      'x-bot-id': this.botId,
      'x-bot-user-id': this.botUserId,
      'x-integration-id': this.integrationId,
      'x-integration-alias': this.integrationAlias,
      'x-webhook-id': this.webhookId,
      'x-bp-operation': operation,
      'x-bp-configuration': Buffer.from(JSON.stringify(this.configuration)).toString('base64'),
      ...(this.configurationType !== null && { 'x-bp-configuration-type': this.configurationType }),
    }
  }
}
