// The sandbox: a local world plus one web page where a person chats as the customer on the left
// and answers as the agent in the HubSpot stand-in's inbox on the right, updated live over SSE.
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { z } from 'zod'
import type { StoreEvents } from '../botpress'
import { startWorld, type World, type WorldOptions } from '../world'
import { CustomerChat, IDENTITIES, type CustomerSnapshot, type Identity } from './customer-chat'
import { agentReplyIdOf, describeDelivery, describeHitlEvent, EventLog, type LogEntry } from './event-log'
import { inboxSnapshot, type InboxSnapshot } from './inbox-view'
import { OneClickSetup, oneClickWorldOptions, saveInboxInput, type OneClickSnapshot } from './one-click'

export type SandboxOptions = {
  // 0 picks a free port.
  port?: number
  host?: string
  world?: WorldOptions
  // One-click mode: the default configuration, not connected; the page shows the setup strip.
  oneClick?: boolean
}

export type Sandbox = {
  url: string
  world: World
  close: () => Promise<void>
}

export type SandboxLinks = {
  hubspot: string
  controlApi: string
  botpress: string
  integration: string
  webhook: string
}

export type SandboxSettings = {
  language: 'en' | 'fr' | 'es' | 'de'
  contactPolicy: 'create' | 'anonymous' | 'refuse'
  identity: Identity
  autoAssign: boolean
  faults: { rateLimit: boolean; serverErrors: boolean; duplicates: boolean; reorder: boolean }
}

export type SandboxSnapshot = {
  links: SandboxLinks
  settings: SandboxSettings
  customer: CustomerSnapshot
  inbox: InboxSnapshot
  log: LogEntry[]
  // Only in one-click mode.
  oneClick?: OneClickSnapshot
}

// HubSpot's stand-in has no change feed, so the page's inbox view is refreshed by polling it.
const POLL_INTERVAL_MS = 150
// The Retry-After of the sandbox's 429: long enough to see the message held, short enough to wait.
const RATE_LIMIT_RETRY_AFTER_S = 2
const BROADCAST_DELAY_MS = 15
const KEEP_ALIVE_MS = 15_000
const MAX_BODY_BYTES = 16 * 1024 * 1024

const sayInput = z.object({ text: z.string().trim().min(1).max(5000) })
// POST /api/settings (every field optional): `language` and `contactPolicy` save the integration's
// configuration again; `identity` is who the customer is at the next escalation (an existing contact
// by email or phone, a new email, or nobody); `autoAssign` makes the inbox assign Ann 1 s after a
// thread opens; `faults` arm a bounded number of faults per customer action (rateLimit: one 429 with
// Retry-After 2 on the first publish; serverErrors: one 503; both: both) or duplicate/reorder webhooks.
// GET /api/state is the page's snapshot as JSON; GET /api/stream follows it (Server-Sent Events).
// POST /api/customer/file?name=…&upload=… sends a customer file, its bytes as the body (16 MB at most).
const settingsInput = z
  .object({
    language: z.enum(['en', 'fr', 'es', 'de']),
    contactPolicy: z.enum(['create', 'anonymous', 'refuse']),
    identity: z.enum(Object.keys(IDENTITIES) as [Identity, ...Identity[]]),
    autoAssign: z.boolean(),
    faults: z
      .object({ rateLimit: z.boolean(), serverErrors: z.boolean(), duplicates: z.boolean(), reorder: z.boolean() })
      .partial(),
  })
  .partial()
  .strict()

// Publishes to HubSpot: what a customer message costs, and what the fault switches hit.
const PUBLISH_PATH = /\/custom-channels\/[^/]+\/\d+\/messages$/

// A customer file travels as the request body itself (no base64, no JSON: an 11 MB file is 11 MB
// on the wire), its name in the query; the page's id for it names the chat line it becomes.
const fileQuery = z.object({
  name: z.string().trim().min(1).max(200),
  upload: z
    .string()
    .regex(/^[\w-]{1,40}$/)
    .optional(),
})

const readPage = (): string => {
  const asset = (name: string) => readFileSync(join(__dirname, 'public', name), 'utf8')
  return asset('index.html')
    .replace('/* STYLE */', () => asset('style.css'))
    .replace('/* SCRIPT */', () => asset('app.js'))
}

class HttpError extends Error {
  public constructor(
    public readonly status: number,
    message: string
  ) {
    super(message)
  }
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const declared = Number(req.headers['content-length'])
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, 'The request body is too large (16 MB at most).')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'The request body is too large (16 MB at most).')
    chunks.push(buffer)
  }
  return Buffer.concat(chunks, size)
}

const readJson = async (req: IncomingMessage): Promise<unknown> => {
  const body = await readBody(req)
  if (body.length === 0) return {}
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.')
  }
}

const parse = <T>(schema: z.ZodType<T>, value: unknown): T => {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new HttpError(
      400,
      result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')
    )
  }
  return result.data
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

// POST /api/one-click/inbox {defaultInboxId}, /api/one-click/remove, /api/one-click/add-again:
// what the bot builder does in Botpress around the Connect button (one-click mode only).
const oneClickAction = async (setup: OneClickSetup, action: string, body: unknown): Promise<void> => {
  if (action === 'inbox') {
    // A configuration register refuses is the bot builder's to fix: its message, not a sandbox error.
    return setup.saveDefaultInbox(parse(saveInboxInput, body)).catch((error: unknown) => {
      throw new HttpError(400, errorMessage(error))
    })
  }
  if (action === 'remove') return setup.remove()
  if (action === 'add-again') return setup.addAgain()
  throw new HttpError(404, `No one-click action ${action}`)
}

export const startSandbox = async (options: SandboxOptions = {}): Promise<Sandbox> => {
  const page = readPage()
  // The page's port first: a busy one fails at once, before anything else starts.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
    sendJson(res, 503, { message: 'The sandbox is starting.' })
  const server = createServer((req, res) => handle(req, res))
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const world = await startWorld(options.oneClick ? oneClickWorldOptions(options.world) : options.world)
  const seededBefore = Date.now()
  const { hs, bp } = world
  const streams = new Set<ServerResponse>()
  let lastSent = ''
  let broadcastTimer: NodeJS.Timeout | undefined

  const scheduleBroadcast = (): void => {
    broadcastTimer ??= setTimeout(() => {
      broadcastTimer = undefined
      const json = JSON.stringify(snapshot())
      if (json === lastSent) return
      lastSent = json
      for (const stream of streams) stream.write(`event: snapshot\ndata: ${json}\n\n`)
    }, BROADCAST_DELAY_MS)
  }

  const log = new EventLog(scheduleBroadcast)
  // Each switched-on fault fails the first publish of each customer action once (a 429 with a
  // Retry-After of RATE_LIMIT_RETRY_AFTER_S, a 503 answered at once; both when both are on): the
  // integration's retry then goes through, as when HubSpot falters for a moment.
  const armFaults = (): void => {
    hs.faults.clear()
    hs.faults.webhooks({
      duplicateRate: settings.faults.duplicates ? 1 : 0,
      reorderWindowMs: settings.faults.reorder ? 400 : 0,
    })
    if (settings.faults.rateLimit) {
      hs.faults.inject({
        method: 'POST',
        path: PUBLISH_PATH,
        status: 429,
        count: 1,
        retryAfterSeconds: RATE_LIMIT_RETRY_AFTER_S,
      })
    }
    if (settings.faults.serverErrors) hs.faults.inject({ method: 'POST', path: PUBLISH_PATH, status: 503, count: 1 })
  }
  const chat = new CustomerChat(world, log, scheduleBroadcast, { beforePublish: armFaults })
  const oneClick = options.oneClick ? new OneClickSetup(world, log) : undefined
  const links: SandboxLinks = {
    hubspot: hs.url,
    controlApi: `${hs.url}/_testbed`,
    botpress: bp.url,
    integration: world.integrationUrl,
    webhook: world.driver.webhookUrl,
  }
  const settings: SandboxSettings = {
    language: 'en',
    contactPolicy: 'create',
    identity: 'email',
    autoAssign: false,
    faults: { rateLimit: false, serverErrors: false, duplicates: false, reorder: false },
  }
  // An agent-reply webhook answered 200 may still end FAILED: such entries turn red.
  const withDeliveryOutcome = (entry: LogEntry): LogEntry => {
    if (!entry.messageId) return entry
    const report = hs.portal.statusReports.get(entry.messageId)?.at(-1)
    return report?.statusType === 'FAILED'
      ? { ...entry, failed: report.failureDetails?.errorMessage ?? 'FAILED' }
      : entry
  }
  const snapshot = (): SandboxSnapshot => ({
    links,
    settings: structuredClone(settings),
    customer: chat.snapshot(),
    inbox: inboxSnapshot(
      hs,
      (messageId) => [...bp.store.messages.values()].some((message) => message.tags.hubspotMessageId === messageId),
      seededBefore
    ),
    log: log.list().map(withDeliveryOutcome),
    ...(oneClick && { oneClick: oneClick.snapshot() }),
  })

  const applySettings = async (input: z.infer<typeof settingsInput>): Promise<void> => {
    const configuration = world.driver.configuration as Record<string, unknown>
    const configChanged =
      (input.language && input.language !== settings.language) ||
      (input.contactPolicy && input.contactPolicy !== settings.contactPolicy)
    const faultsWereOn = settings.faults.rateLimit || settings.faults.serverErrors
    Object.assign(settings, { ...input, faults: { ...settings.faults, ...input.faults } })
    if (configChanged) {
      Object.assign(configuration, { language: settings.language, contactPolicy: settings.contactPolicy })
      log.add({
        source: 'bot',
        kind: 'action',
        text: `Configuration saved: language ${settings.language}, contact policy ${settings.contactPolicy} (register ran again)`,
      })
      await world.driver.register()
    }
    if (input.identity) chat.setIdentity(input.identity)
    hs.settings.autoAssign = settings.autoAssign ? { actorId: 'A-111', delayMs: 1000 } : null
    // API faults are armed per customer action (armFaults); a switch turned off drops its pending one.
    if (!settings.faults.rateLimit && !settings.faults.serverErrors) {
      hs.faults.clear()
      // What HubSpot would not take goes out at the session's next activity, or when Botpress runs
      // register again (every hour, the integration's sweep): the sandbox brings that run forward.
      if (faultsWereOn) void world.driver.register().catch(() => undefined)
    }
    hs.faults.webhooks({
      duplicateRate: settings.faults.duplicates ? 1 : 0,
      reorderWindowMs: settings.faults.reorder ? 400 : 0,
    })
    scheduleBroadcast()
  }

  const userName = (userId: string) => bp.store.users.get(userId)?.name
  const sessionName = (conversationId: string) => {
    const tags = bp.store.conversations.get(conversationId)?.tags
    return `${tags?.customerName ?? 'the customer'}'s session${tags?.hubspotThreadId ? ` (thread ${tags.hubspotThreadId})` : ''}`
  }
  const onEvent = ({ kind, event }: StoreEvents['event'][0]) => {
    if (kind === 'created' && (event.type === 'hitlAssigned' || event.type === 'hitlStopped')) {
      log.add({ source: 'botpress', kind: event.type, text: describeHitlEvent(event, userName, sessionName) })
    }
  }
  bp.on('event', onEvent)

  // Deliveries made while registering are part of the story: start from the first one.
  let deliveriesSeen = 0
  let callsSeen = 0
  const poll = setInterval(() => {
    if (deliveriesSeen > hs.deliveries.length) deliveriesSeen = 0
    for (const delivery of hs.deliveries.slice(deliveriesSeen)) {
      const messageId = agentReplyIdOf(delivery)
      log.add({
        source: 'hubspot',
        kind: 'webhook',
        text: describeDelivery(delivery),
        status: delivery.status,
        at: delivery.at,
        ...(messageId && { messageId }),
      })
    }
    deliveriesSeen = hs.deliveries.length
    // Every publish the integration made (customer messages, transcripts), with HubSpot's answer:
    // a 429 or 503 followed by its retry shows here.
    if (callsSeen > hs.calls.length) callsSeen = 0
    const answered = hs.calls.slice(callsSeen).findIndex((call) => call.status === 0)
    const upTo = answered === -1 ? hs.calls.length : callsSeen + answered
    for (const call of hs.calls.slice(callsSeen, upTo)) {
      if (call.method !== 'POST' || !PUBLISH_PATH.test(call.path)) continue
      const verdict =
        call.status >= 400
          ? `, ${call.status === 429 || call.status >= 500 ? 'the integration retries' : 'refused'}`
          : ''
      log.add({
        source: 'hubspot',
        kind: 'publish',
        text: `The integration published a message to HubSpot → ${call.status}${verdict}`,
        status: call.status,
        at: call.at,
      })
      if (call.status === 429 || call.status >= 500) chat.publishRefused(call.status)
    }
    callsSeen = upTo
    oneClick?.poll()
    scheduleBroadcast()
  }, POLL_INTERVAL_MS)

  const keepAlive = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n')
  }, KEEP_ALIVE_MS)

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    })
    res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`)
    streams.add(res)
    req.on('close', () => streams.delete(res))
  }

  const serveHubSpotFile = (res: ServerResponse, fileId: string): void => {
    const file = hs.portal.files.get(fileId)
    if (!file) throw new HttpError(404, `File ${fileId} does not exist in the HubSpot stand-in.`)
    res.writeHead(200, {
      'content-type': file.contentType,
      'content-length': file.data.length,
      'content-disposition': `inline; filename="${encodeURIComponent(file.name)}.${file.extension}"`,
    })
    res.end(file.data)
  }

  const customerActions = new Map<string, (body: unknown) => Promise<void>>([
    ['say', (body) => chat.say(parse(sayInput, body).text)],
    ['escalate', () => chat.requestHuman()],
    ['end', () => chat.end()],
    ['restart', () => chat.restart()],
  ])

  const receiveCustomerFile = async (req: IncomingMessage, query: URLSearchParams): Promise<void> => {
    const input = parse(fileQuery, Object.fromEntries(query))
    const data = await readBody(req)
    if (data.length === 0) throw new HttpError(400, 'The file is empty.')
    const contentType = req.headers['content-type']?.split(';')[0]?.trim() || 'application/octet-stream'
    await chat.sendFile({ name: input.name, contentType, data, ...(input.upload && { uploadId: input.upload }) })
  }

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://sandbox.local')
    const method = req.method ?? 'GET'
    if (method === 'GET' && pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      res.end(page)
      return
    }
    if (method === 'GET' && pathname === '/api/stream') return openStream(req, res)
    if (method === 'GET' && pathname === '/api/state') return sendJson(res, 200, snapshot())
    if (method === 'POST' && pathname === '/api/settings') {
      await applySettings(parse(settingsInput, await readJson(req)))
      return sendJson(res, 200, settings)
    }
    const setupAction = /^\/api\/one-click\/([\w-]+)$/.exec(pathname)
    if (method === 'POST' && setupAction && oneClick) {
      await oneClickAction(oneClick, setupAction[1]!, await readJson(req))
      return sendJson(res, 200, oneClick.snapshot())
    }
    const file = /^\/files\/hubspot\/([^/]+)$/.exec(pathname)
    if (method === 'GET' && file) return serveHubSpotFile(res, decodeURIComponent(file[1]))
    if (method === 'POST' && pathname === '/api/customer/file') {
      await receiveCustomerFile(req, searchParams)
      return sendJson(res, 200, chat.snapshot())
    }
    const action = /^\/api\/customer\/(\w+)$/.exec(pathname)
    const handler = action ? customerActions.get(action[1]) : undefined
    if (method === 'POST' && handler) {
      await handler(await readJson(req))
      return sendJson(res, 200, chat.snapshot())
    }
    throw new HttpError(404, `No route ${method} ${pathname}`)
  }

  handle = (req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500
      if (status === 500) log.add({ source: 'bot', kind: 'error', text: errorMessage(error) })
      if (!res.headersSent) sendJson(res, status, { message: errorMessage(error) })
      else res.end()
    })
  }
  const { port } = server.address() as AddressInfo

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    world,
    close: async () => {
      clearInterval(poll)
      clearInterval(keepAlive)
      if (broadcastTimer) clearTimeout(broadcastTimer)
      for (const stream of streams) stream.end()
      streams.clear()
      bp.off('event', onEvent)
      chat.dispose()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await world.close()
    },
  }
}
