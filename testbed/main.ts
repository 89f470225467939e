// `npm run testbed`: both stand-ins and the integration, wired together, until Ctrl-C; plus a small
// bot API so that a script can escalate, talk as the customer and read what Botpress received.
//
// Bot API (the hitl plugin's side):
//   GET  /                                 every URL, the Botpress token and bot id, the configuration sent
//   POST /escalate                         { name?, email?, title?, description?, history?: string[] } → 201 session
//                                          (history alternates customer and bot texts)
//   GET  /sessions, /sessions/:conversationId   thread id, status, hitlAssigned/hitlStopped, agent messages,
//                                          what the customer sees
//   POST /sessions/:conversationId/messages   { text } → 201 (the customer writes)
//   POST /sessions/:conversationId/end     the customer ends the session (stopHitl)
//   POST /register                         registers the integration again
// TESTBED_HUBSPOT_PORT and TESTBED_BOT_PORT fix the ports (free ports otherwise). With
// TESTBED_INTEGRATION_URL the testbed drives that build instead of src/, does not register at start,
// and prints the environment the build needs (HUBSPOT_API_URL, HUBSPOT_AUTHORIZE_URL, BP_API_URL,
// BP_TOKEN, BP_WEBHOOK_URL); then POST /register.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import type { HitlSession } from './botpress/hitl-bot'
import { stopOnSignals } from './signals'
import { startWorld, type World } from './world'

const escalateInput = z.object({
  name: z.string().min(1).default('Jane Doe'),
  email: z.string().min(1).optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  // Alternating customer and bot texts, starting with the customer.
  history: z.array(z.string()).default([]),
})
const sayInput = z.object({ text: z.string().min(1) })

class BadRequest extends Error {
  public constructor(
    public readonly status: number,
    message: string
  ) {
    super(message)
  }
}

const portFromEnv = (name: string): number => {
  const raw = process.env[name] ?? '0'
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number (0 picks a free one), got "${raw}"`)
  }
  return port
}

const readJson = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if (text === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new BadRequest(400, 'The request body is not valid JSON.')
  }
}

const parse = <T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown): T => {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new BadRequest(
      400,
      result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')
    )
  }
  return result.data
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = `${JSON.stringify(body, null, 2)}\n`
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

const createBotApi = (world: World, describe: () => Record<string, unknown>) => {
  const sessions = new Map<string, HitlSession>()
  const { bp, bot } = world
  const userName = (userId: string | undefined) => (userId === undefined ? undefined : bp.store.users.get(userId)?.name)

  const sessionView = (session: HitlSession) => ({
    ...session,
    hubspotThreadId: bp.store.conversations.get(session.conversationId)?.tags.hubspotThreadId ?? null,
    status: bot.status(session),
    events: bot
      .events(session)
      .map(({ type, payload, status }) => ({ type, payload, status, userName: userName(String(payload.userId)) })),
    agentMessages: bot
      .agentMessages(session)
      .map(({ type, payload, userId }) => ({ type, payload, userId, userName: userName(userId) })),
    customerSees: bot
      .upstreamMessages(session)
      .map(({ type, payload, userId }) => ({ type, payload, from: userName(userId) })),
  })

  const requireSession = (conversationId: string): HitlSession => {
    const session = sessions.get(conversationId)
    if (!session) throw new BadRequest(404, `No session on conversation ${conversationId}; GET /sessions lists them.`)
    return session
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://testbed.local')
    const method = req.method ?? 'GET'
    const sessionRoute = /^\/sessions\/([^/]+)(?:\/(messages|end))?$/.exec(pathname)
    if (method === 'GET' && pathname === '/') return sendJson(res, 200, describe())
    if (method === 'GET' && pathname === '/sessions') return sendJson(res, 200, [...sessions.values()].map(sessionView))
    if (method === 'POST' && pathname === '/register') {
      await world.driver.register()
      return sendJson(res, 200, { registered: true, webhookUrl: world.driver.webhookUrl })
    }
    if (method === 'POST' && pathname === '/escalate') {
      const input = parse(escalateInput, await readJson(req))
      const session = await bot.escalate({
        customer: { name: input.name, ...(input.email !== undefined && { email: input.email }) },
        ...(input.title !== undefined && { title: input.title }),
        ...(input.description !== undefined && { description: input.description }),
        history: input.history.map((text, index) => ({
          from: index % 2 === 0 ? 'customer' : 'bot',
          type: 'text',
          payload: { text },
        })),
      })
      sessions.set(session.conversationId, session)
      return sendJson(res, 201, sessionView(session))
    }
    if (sessionRoute) {
      const [, conversationId, action] = sessionRoute
      const session = requireSession(decodeURIComponent(conversationId))
      if (method === 'GET' && action === undefined) return sendJson(res, 200, sessionView(session))
      if (method === 'POST' && action === 'messages') {
        const { text } = parse(sayInput, await readJson(req))
        await bot.customerSays(session, { type: 'text', payload: { text } })
        return sendJson(res, 201, sessionView(session))
      }
      if (method === 'POST' && action === 'end') {
        await bot.end(session)
        return sendJson(res, 200, sessionView(session))
      }
    }
    throw new BadRequest(
      404,
      `No route ${method} ${pathname}; try GET /, GET /sessions, POST /escalate, POST /sessions/:id/messages, POST /sessions/:id/end, POST /register`
    )
  }
}

const main = async (): Promise<void> => {
  // Another build needs the stand-ins' URLs in its environment before it can be registered.
  const external = process.env.TESTBED_INTEGRATION_URL !== undefined
  const world = await startWorld({ hubspot: { port: portFromEnv('TESTBED_HUBSPOT_PORT') }, register: !external })
  const { hs, bp, driver } = world
  let botApiUrl = ''
  const describe = () => ({
    hubspot: hs.url,
    controlApi: `${hs.url}/_testbed`,
    botpressApi: bp.url,
    botpressToken: bp.token,
    botId: driver.botId,
    integration: world.integrationUrl,
    webhook: driver.webhookUrl,
    botApi: botApiUrl,
    configuration: world.configuration,
  })
  const handle = createBotApi(world, describe)
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof BadRequest ? error.status : 500
      sendJson(res, status, { message: error instanceof Error ? error.message : String(error) })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(portFromEnv('TESTBED_BOT_PORT'), '127.0.0.1', () => resolve())
  })
  botApiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const rows: [string, string][] = [
    ['HubSpot stand-in', hs.url],
    ['  control API', `${hs.url}/_testbed`],
    ['Botpress API (BP_API_URL)', bp.url],
    ['  token (BP_TOKEN)', bp.token],
    ['  bot id (x-bot-id)', driver.botId],
    [
      'Integration',
      `${world.integrationUrl} ${external ? '(TESTBED_INTEGRATION_URL, not registered yet)' : '(src/, served in-process)'}`,
    ],
    ['Webhook URL', driver.webhookUrl],
    ['Bot API', botApiUrl],
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  console.log(`\nHubSpot Inbox HITL testbed is up${external ? '' : ' (the integration is registered)'}.\n`)
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`)
  if (external) {
    console.log(
      '\nStart the other build with this environment, then register it with: curl -X POST ' + `${botApiUrl}/register`
    )
    console.log(
      `  HUBSPOT_API_URL=${hs.url} HUBSPOT_AUTHORIZE_URL=${hs.url}/oauth/authorize BP_API_URL=${bp.url} BP_TOKEN=${bp.token} BP_WEBHOOK_URL=${bp.webhookBaseUrl}`
    )
  }
  console.log("\nConfiguration sent to the integration (the stand-in's fake secrets):")
  console.log(JSON.stringify(world.configuration, null, 2).replace(/^/gm, '  '))
  console.log('\nSee "Running the testbed standalone" in testbed/README.md. Ctrl-C to stop.\n')

  stopOnSignals('testbed', () =>
    Promise.all([
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
      world.close(),
    ])
  )
}

main().catch((error: unknown) => {
  console.error('The testbed could not start:', error)
  process.exit(1)
})
