import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import qs from 'qs'
import { escapeHtml } from '../html'
import { IntegrationDriver, type ConnectOptions, type IntegrationResponse } from './driver'
import { BotpressApiError } from './errors'
import { extractIdentifier } from './extract'
import { FaultInjector } from './faults'
import { lowerCaseHeaders, readBody, sendJson, splitUrl } from './http-utils'
import type { RouteTable } from './route-table'
import { createRuntimeApi, type ApiHandler } from './runtime-api'
import { BotpressStore, type StoreEvents } from './store'

export * from './store'
export { BotpressApiError, type BotpressErrorBody, type BotpressErrorType } from './errors'
export type { FaultSpec, InjectedFault } from './faults'
export {
  DEFAULT_INTEGRATION_ALIAS,
  DriverError,
  IntegrationDriver,
  type ConnectOptions,
  type IntegrationOperation,
  type IntegrationResponse,
  type SendMessageInput,
  type WebhookRequest,
} from './driver'

export type BotpressStandInOptions = {
  /** 0 (default) picks a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** The bearer token the integration must send (BP_TOKEN); random when absent. */
  token?: string
  /** Items per page of the list routes (default 20); `meta.nextToken` leads to the next page. */
  pageSize?: number
  /**
   * Whether the webhook gateway passes cookies: the caller's `Cookie` header to the integration and
   * the integration's `Set-Cookie` back. Default false: what webhook.botpress.cloud does with them
   * is not documented (testbed/README.md, "Cookies"), and dropping them is
   * the stricter case. Can be changed on the instance (`gateway.passCookies`).
   */
  passCookies?: boolean
  /**
   * The integration's name as deployed, which names its global route: `bp deploy` names an
   * integration of any workspace but Botpress's own `<workspace handle>/<name>`. Default
   * `${DEFAULT_WORKSPACE_HANDLE}/hubspot-inbox-hitl`.
   */
  deployedIntegrationName?: string
}

/** The workspace handle of the stand-in's publisher workspace. */
export const DEFAULT_WORKSPACE_HANDLE = 'acme-publisher'

/** One runtime API call received (webhook relays and file upload/download URLs are not counted). */
export type ApiCall = {
  method: string
  path: string
  /** Query string without the `?`. */
  query: string
  at: number
}

/** The header an installation puts on what it hands on to another (src/hitl/forwarding.ts). */
const HANDED_ON_HEADER = 'x-botpress-hitl-forwarded-from'

/** Hop-by-hop and framing headers that must not be copied from the integration's answer. */
const NOT_RELAYED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date'])

/** The SDK's OAUTH_IDENTIFIER_HEADER: an answer on the OAuth route claims this identifier. */
export const IDENTIFIER_HEADER = 'x-bp-integration-identifier'
/** Without `x-bp-disable-interstitial: true`, Botpress shows its interstitial instead of the answer. */
export const DISABLE_INTERSTITIAL_HEADER = 'x-bp-disable-interstitial'
/** Marks the stand-in's interstitial page (a test can tell it from the integration's pages). */
export const INTERSTITIAL_MARK_HEADER = 'x-standin-interstitial'

const interstitialPage = (success: boolean, errorMessage?: string): IntegrationResponse => ({
  status: 200,
  headers: { 'content-type': 'text/html; charset=utf-8', [INTERSTITIAL_MARK_HEADER]: success ? 'success' : 'failure' },
  body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Botpress</title></head><body><h1 data-testid="botpress-interstitial">${success ? 'Configuration successful' : 'Configuration failed'}</h1>${errorMessage ? `<p>${escapeHtml(errorMessage)}</p>` : ''}<p>You can close this window.</p></body></html>`,
})

const isBotpressErrorBody = (text: string): boolean => {
  try {
    const parsed: unknown = JSON.parse(text)
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      'type' in parsed &&
      'code' in parsed &&
      'message' in parsed &&
      typeof parsed.type === 'string'
    )
  } catch {
    return false
  }
}

/**
 * A local Botpress Cloud: the runtime API an integration calls back (`BP_API_URL`), the public
 * webhook URLs relayed to the integration (`BP_WEBHOOK_URL`), and drivers that call the integration.
 */
export class BotpressStandIn {
  public readonly store = new BotpressStore()
  public readonly calls: ApiCall[] = []
  public readonly faults = new FaultInjector()
  /**
   * Runs after a call has been applied and before it is answered: a test can kill the integration's
   * process here, so the call took effect but its caller never learnt it.
   */
  public afterApiCall: ((call: ApiCall) => void | Promise<void>) | undefined
  public readonly token: string
  /** How the webhook gateway treats cookies (see BotpressStandInOptions.passCookies). */
  public readonly gateway: { passCookies: boolean }
  /** The deployed integration's name (`<workspace handle>/<name>`), the only one the global route serves. */
  public readonly deployedIntegrationName: string
  private readonly drivers = new Map<string, IntegrationDriver>()
  private readonly api: RouteTable<ApiHandler>
  private readonly server: Server
  private baseUrl = ''

  private constructor(options: BotpressStandInOptions) {
    this.token = options.token ?? `bp_pat_${randomBytes(16).toString('hex')}`
    this.gateway = { passCookies: options.passCookies ?? false }
    this.deployedIntegrationName = options.deployedIntegrationName ?? `${DEFAULT_WORKSPACE_HANDLE}/hubspot-inbox-hitl`
    this.api = createRuntimeApi({ store: this.store, baseUrl: () => this.baseUrl, pageSize: options.pageSize ?? 20 })
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        console.error('[botpress stand-in] request failed', error)
        if (!res.headersSent) sendJson(res, 500, new BotpressApiError(500, 'Internal', 'Stand-in failure').toBody())
        else res.end()
      })
    })
  }

  public static async start(options: BotpressStandInOptions = {}): Promise<BotpressStandIn> {
    const standIn = new BotpressStandIn(options)
    const host = options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      standIn.server.once('error', reject)
      standIn.server.listen(options.port ?? 0, host, () => resolve())
    })
    const { port } = standIn.server.address() as AddressInfo
    standIn.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    return standIn
  }

  /** BP_API_URL for the integration. */
  public get url(): string {
    return this.baseUrl
  }

  /** BP_WEBHOOK_URL: an integration's public URL is `${webhookBaseUrl}/${webhookId}`. */
  public get webhookBaseUrl(): string {
    return `${this.baseUrl}/webhooks`
  }

  public resetCalls(): void {
    this.calls.length = 0
  }

  /** Subscribes to store changes (users, conversations, messages, events, states, files). */
  public on<K extends keyof StoreEvents & string>(event: K, listener: (...args: StoreEvents[K]) => void): this {
    this.store.on(event, listener)
    return this
  }

  public off<K extends keyof StoreEvents & string>(event: K, listener: (...args: StoreEvents[K]) => void): this {
    this.store.off(event, listener)
    return this
  }

  /** A driver for one installed integration; its webhook URL is routed until `disconnect()` or `close()`. */
  public connect(options: ConnectOptions): IntegrationDriver {
    const driver = new IntegrationDriver(options, this.webhookBaseUrl, this.store, (gone) => {
      if (this.drivers.get(gone.webhookId) === gone) this.drivers.delete(gone.webhookId)
    })
    this.drivers.set(driver.webhookId, driver)
    return driver
  }

  public async close(): Promise<void> {
    this.drivers.clear()
    this.store.cancelScheduled()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname, search } = splitUrl(req.url ?? '/')
    const method = (req.method ?? 'GET').toUpperCase()
    const body = await readBody(req)

    // Botpress's OAuth route, <webhook base>/oauth…?state=<webhook ID>: one URL for every
    // installation (an OAuth app's redirect URL is fixed), routed by `state`.
    const oauth = /^\/webhooks(\/oauth(?:\/.*)?)$/.exec(pathname)
    if (oauth) return this.relayOAuth(req, res, { path: oauth[1]!, search, body })

    // Botpress's page that ends a connection flow, on its app host: what @botpress/common's wizard
    // redirects to (the webhook base with `webhook` read as `app`: here /apps).
    if (method === 'GET' && pathname === '/apps/oauth/interstitial') {
      const query = new URLSearchParams(search)
      const page = interstitialPage(query.get('success') === 'true', query.get('errorMessage') ?? undefined)
      res.writeHead(page.status, page.headers).end(page.body)
      return
    }

    // Botpress's global route of an integration: the integration's extract script names the
    // identifier, and the installation that owns it receives the request. The route is named after
    // the deployed integration, `<workspace handle>/<name>`.
    const global = /^\/webhooks\/integration\/global\/([^/]+(?:\/[^/]+)?)\/?$/.exec(pathname)
    if (global) return this.relayGlobal(req, res, { integrationName: decodeURIComponent(global[1]!), search, body })

    const webhook = /^\/webhooks\/([^/]+)(\/.*)?$/.exec(pathname)
    if (webhook) return this.relayWebhook(req, res, { webhookId: webhook[1], path: webhook[2] ?? '/', search, body })

    const upload = /^\/files\/upload\/([^/]+)$/.exec(pathname)
    if (upload && method === 'PUT') return this.receiveUpload(req, res, decodeURIComponent(upload[1]), search, body)

    const download = /^\/files\/content\/([^/]+)(\/.*)?$/.exec(pathname)
    if (download && (method === 'GET' || method === 'HEAD')) {
      return this.serveDownload(res, decodeURIComponent(download[1]), method)
    }

    if (pathname.startsWith('/v1/')) return this.handleApiCall(req, res, { method, pathname, search, body })

    sendJson(res, 404, new BotpressApiError(404, 'ResourceNotFound', `No route ${method} ${pathname}`).toBody())
  }

  private async handleApiCall(
    req: IncomingMessage,
    res: ServerResponse,
    call: { method: string; pathname: string; search: string; body: Buffer }
  ): Promise<void> {
    const recorded: ApiCall = { method: call.method, path: call.pathname, query: call.search, at: Date.now() }
    this.calls.push(recorded)
    try {
      const headers = lowerCaseHeaders(req)
      if (headers.authorization !== `Bearer ${this.token}`) {
        throw new BotpressApiError(401, 'Unauthorized', 'Invalid or missing bearer token')
      }
      const botId = headers['x-bot-id']
      if (!botId) throw new BotpressApiError(400, 'InvalidPayload', 'Missing x-bot-id header')

      const fault = this.faults.take(call.method, call.pathname)
      if (fault) throw fault

      const route = this.api.find(call.method, call.pathname)
      if (!route) throw new BotpressApiError(404, 'ResourceNotFound', `No route ${call.method} ${call.pathname}`)

      const integrationId = headers['x-integration-id']
      const result = route.handler({
        method: call.method,
        params: route.params,
        query: qs.parse(call.search, { allowDots: true, depth: 5 }),
        body: this.parseJsonBody(call.body),
        botId,
        ...(integrationId && { integrationId, integrationName: this.integrationNameOf(integrationId) }),
      })
      await this.afterApiCall?.(recorded)
      sendJson(res, result.status ?? 200, result.body)
    } catch (error) {
      if (!(error instanceof BotpressApiError)) throw error
      sendJson(res, error.status, error.toBody(), error.headers)
    }
  }

  private parseJsonBody(body: Buffer): unknown {
    if (body.length === 0) return {}
    try {
      return JSON.parse(body.toString('utf8'))
    } catch {
      throw new BotpressApiError(400, 'InvalidPayload', 'The request body is not valid JSON')
    }
  }

  private integrationNameOf(integrationId: string): string {
    for (const driver of this.drivers.values()) {
      if (driver.integrationId === integrationId) return driver.integrationAlias
    }
    return integrationId
  }

  /**
   * Like webhook.botpress.cloud: wrap the request into `webhook_received` and answer with what the
   * integration answered; cookies both ways only with `gateway.passCookies`. An integration failure (5xx, or the SDK's error body for a thrown error)
   * becomes a 500 so that the sender retries.
   */
  private async relayWebhook(
    req: IncomingMessage,
    res: ServerResponse,
    request: { webhookId: string; path: string; search: string; body: Buffer },
    transform?: (driver: IntegrationDriver, answer: IntegrationResponse) => IntegrationResponse
  ): Promise<void> {
    const driver = this.drivers.get(decodeURIComponent(request.webhookId))
    if (!driver) {
      sendJson(
        res,
        404,
        new BotpressApiError(404, 'ResourceNotFound', `Webhook ${request.webhookId} doesn't exist`).toBody()
      )
      return
    }
    const method = (req.method ?? 'GET').toUpperCase()
    const requestHeaders = lowerCaseHeaders(req)
    if (!this.gateway.passCookies) delete requestHeaders.cookie
    let answer: IntegrationResponse
    try {
      answer = await driver.relayWebhook({
        method,
        path: request.path,
        query: request.search,
        headers: requestHeaders,
        ...(method !== 'GET' && method !== 'HEAD' && { body: request.body.toString('utf8') }),
      })
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      sendJson(
        res,
        500,
        new BotpressApiError(500, 'Internal', `The integration could not be reached: ${reason}`).toBody()
      )
      return
    }
    const handedOnBy = requestHeaders[HANDED_ON_HEADER]
    if (handedOnBy !== undefined) {
      this.relayed.push({
        fromChannelId: handedOnBy,
        webhookId: driver.webhookId,
        path: request.path,
        body: request.body.toString('utf8'),
        status: answer.status,
      })
    }
    const failed = answer.status >= 500 || (answer.status >= 400 && isBotpressErrorBody(answer.body))
    if (failed) {
      sendJson(
        res,
        500,
        new BotpressApiError(500, 'Internal', `The integration failed to handle the webhook: ${answer.body}`).toBody()
      )
      return
    }
    if (transform) answer = transform(driver, answer)
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(answer.headers)) {
      const lower = name.toLowerCase()
      if (NOT_RELAYED_HEADERS.has(lower) || (lower === 'set-cookie' && !this.gateway.passCookies)) continue
      headers[name] = value
    }
    const body = Buffer.from(answer.body, 'utf8')
    res.writeHead(answer.status, { ...headers, 'content-length': String(body.byteLength) })
    res.end(method === 'HEAD' ? undefined : body)
  }

  /**
   * Requests one installation handed on to another through its webhook URL (events of a thread of
   * the other's channel, news of a sibling), in order: those carrying the integration's
   * x-botpress-hitl-forwarded-from header.
   */
  public readonly relayed: {
    fromChannelId: string
    webhookId: string
    path: string
    body: string
    status: number
  }[] = []

  /** Requests Botpress routed through its OAuth route or global route, in order. */
  public readonly routed: { route: 'oauth' | 'global'; webhookId?: string; identifier?: string; status: number }[] = []

  private async relayOAuth(
    req: IncomingMessage,
    res: ServerResponse,
    request: { path: string; search: string; body: Buffer }
  ): Promise<void> {
    const state = new URLSearchParams(request.search).get('state')
    const driver = state ? this.drivers.get(state) : undefined
    if (!driver) {
      this.routed.push({ route: 'oauth', status: 400 })
      sendJson(
        res,
        400,
        new BotpressApiError(
          400,
          'InvalidPayload',
          state ? 'The state does not name a webhook' : 'Missing state parameter'
        ).toBody()
      )
      return
    }
    this.routed.push({ route: 'oauth', webhookId: driver.webhookId, status: 200 })
    return this.relayWebhook(
      req,
      res,
      { webhookId: driver.webhookId, path: request.path, search: request.search, body: request.body },
      (routedTo, answer) => this.afterOAuthAnswer(routedTo, answer)
    )
  }

  /**
   * What Botpress does with an answer on its OAuth route: the `x-bp-integration-identifier` header
   * claims the identifier for the installation (the new owner replaces the old one), and an answer
   * without `x-bp-disable-interstitial: true` is replaced by Botpress's own interstitial page.
   */
  private afterOAuthAnswer(driver: IntegrationDriver, answer: IntegrationResponse): IntegrationResponse {
    const headerOf = (name: string) => Object.entries(answer.headers).find(([key]) => key.toLowerCase() === name)?.[1]
    const identifier = headerOf(IDENTIFIER_HEADER)
    if (identifier) this.store.configureIntegration(driver.integrationId, { identifier })
    if (headerOf(DISABLE_INTERSTITIAL_HEADER) === 'true') return answer
    return interstitialPage(answer.status < 400)
  }

  private async relayGlobal(
    req: IncomingMessage,
    res: ServerResponse,
    request: { integrationName: string; search: string; body: Buffer }
  ): Promise<void> {
    if (request.integrationName !== this.deployedIntegrationName) {
      this.routed.push({ route: 'global', status: 404 })
      sendJson(
        res,
        404,
        new BotpressApiError(404, 'ResourceNotFound', `No integration named "${request.integrationName}"`).toBody()
      )
      return
    }
    let identifier: string | undefined
    try {
      identifier = extractIdentifier({ body: request.body.toString('utf8') }) ?? undefined
    } catch (error) {
      this.routed.push({ route: 'global', status: 400 })
      sendJson(
        res,
        400,
        new BotpressApiError(
          400,
          'InvalidPayload',
          `The extract script failed: ${error instanceof Error ? error.message : String(error)}`
        ).toBody()
      )
      return
    }
    const ownerId = identifier ? this.store.ownerOfIdentifier(identifier) : undefined
    const driver = ownerId
      ? [...this.drivers.values()].find(
          (candidate) => candidate.integrationId === ownerId && candidate.integrationAlias.length > 0
        )
      : undefined
    if (!driver) {
      this.routed.push({ route: 'global', identifier, status: 404 })
      sendJson(
        res,
        404,
        new BotpressApiError(404, 'ResourceNotFound', `No installation owns the identifier "${identifier}"`).toBody()
      )
      return
    }
    this.routed.push({ route: 'global', identifier, webhookId: driver.webhookId, status: 200 })
    return this.relayWebhook(req, res, {
      webhookId: driver.webhookId,
      path: '/',
      search: request.search,
      body: request.body,
    })
  }

  /** The URL of Botpress's global route of the deployed integration: `…/integration/global/<handle>/<name>`. */
  public globalWebhookUrl(integrationName = this.deployedIntegrationName): string {
    return `${this.webhookBaseUrl}/integration/global/${integrationName}`
  }

  private receiveUpload(req: IncomingMessage, res: ServerResponse, fileId: string, search: string, body: Buffer): void {
    const file = this.store.findFile(fileId)
    const token = new URLSearchParams(search).get('token')
    if (!file || file.uploadToken !== token) {
      sendJson(res, 403, new BotpressApiError(403, 'Forbidden', 'Invalid or expired upload URL').toBody())
      return
    }
    this.store.completeUpload(file.id, body, req.headers['content-type'])
    res.writeHead(200, { 'content-length': '0' }).end()
  }

  private serveDownload(res: ServerResponse, fileId: string, method: string): void {
    const file = this.store.findFile(fileId)
    if (!file || file.content === undefined) {
      sendJson(res, 404, new BotpressApiError(404, 'ResourceNotFound', `File ${fileId} has no content`).toBody())
      return
    }
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.content.byteLength) })
    res.end(method === 'HEAD' ? undefined : file.content)
  }
}

export function startBotpressStandIn(options: BotpressStandInOptions = {}): Promise<BotpressStandIn> {
  return BotpressStandIn.start(options)
}
