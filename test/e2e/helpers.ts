// Shared steps of the end-to-end stories: a world per test, and what each side can observe.
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach } from 'vitest'
import { connectLinkFor } from '../../src/hitl/connect-key'
import { signV1, signV3 } from '../../src/hubspot/signature'
import type { HitlSession } from '../../testbed/botpress/hitl-bot'
import { closeServedIntegration, startWorld, type World, type WorldOptions } from '../../testbed/world'

const open: World[] = []
// startWorld copies `env` into process.env: each test gets back the environment it started with.
const savedEnv = new Map<string, string | undefined>()

export const world = async (options?: WorldOptions): Promise<World> => {
  for (const key of Object.keys(options?.env ?? {})) if (!savedEnv.has(key)) savedEnv.set(key, process.env[key])
  const created = await startWorld(options)
  open.push(created)
  return created
}

export const setEnv = (env: Record<string, string>): void => {
  for (const [key, value] of Object.entries(env)) {
    if (!savedEnv.has(key)) savedEnv.set(key, process.env[key])
    process.env[key] = value
  }
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()))
  for (const [key, value] of savedEnv) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  savedEnv.clear()
})
afterAll(async () => {
  await closeServedIntegration()
})

export const threadOf = (w: World, session: HitlSession): string => {
  const threadId = w.bp.store.conversations.get(session.conversationId)?.tags.hubspotThreadId
  if (!threadId) throw new Error(`conversation ${session.conversationId} has no HubSpot thread`)
  return threadId
}

// What the agent sees in HubSpot: the thread's messages, oldest first.
export const threadMessages = (w: World, threadId: string) =>
  w.hs.portal.timeline(threadId).filter((entry) => entry.type === 'MESSAGE') as ReturnType<
    World['hs']['agent']['reply']
  >[]

// What the customer sees: messages the integration created on the HITL conversation.
export const customerView = (w: World, session: HitlSession) =>
  w.bot.agentMessages(session).map((m) => ({ type: m.type, payload: m.payload, userId: m.userId }))

export const eventsOf = (w: World, session: HitlSession) =>
  w.bot.events(session).map((e) => ({ type: e.type, payload: e.payload }))

export const settle = (w: World) => w.hs.settle()

// The delivery status the integration last reported for an agent message (HubSpot may show SENT
// before anyone reported anything).
export const reportedStatus = (w: World, messageId: string) => w.hs.portal.statusReports.get(messageId)?.at(-1)

// What the agent sees as an agent message's delivery status: HubSpot's own, or the last one reported.
export const shownStatus = (w: World, messageId: string) => w.hs.portal.messageById.get(messageId)?.status?.statusType

// A file hosted by Botpress, as the files customers send are: returns its public URL.
export const hostFile = async (
  w: World,
  name: string,
  content: string | Buffer,
  contentType: string
): Promise<string> => {
  const { Client } = await import('@botpress/client')
  const client = new Client({ apiUrl: w.bp.url, token: w.bp.token, botId: w.driver.botId })
  const { file } = await client.uploadFile({
    key: `customer/${Date.now()}-${name}`,
    content,
    contentType,
    accessPolicies: ['public_content'],
  })
  if (!file.url) throw new Error('the Botpress stand-in returned no file URL')
  return file.url
}

// The message a bot builder reads when an integration call fails.
export const failureOf = async (call: Promise<unknown>): Promise<string> => {
  try {
    await call
  } catch (error) {
    const body = (error as { body?: { message?: unknown } }).body
    return typeof body?.message === 'string' ? body.message : String(error)
  }
  throw new Error('the call succeeded, a failure was expected')
}

export type Headers = Record<string, string>

// The v3 signature HubSpot puts on a webhook to the integration's public URL.
export const v3Headers = (
  w: World,
  body: string,
  o: { timestamp?: number; secret?: string; uri?: string } = {}
): Headers => {
  const timestamp = o.timestamp ?? Date.now()
  return {
    'x-hubspot-signature-v3': signV3({
      secret: o.secret ?? w.hs.app.clientSecret,
      method: 'POST',
      uri: o.uri ?? w.driver.webhookUrl,
      body,
      timestamp,
    }),
    'x-hubspot-request-timestamp': String(timestamp),
  }
}

export const postWebhook = async (
  w: World,
  body: string,
  headers: Headers
): Promise<{ status: number; text: string }> => {
  const response = await fetch(w.driver.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  return { status: response.status, text: await response.text() }
}

// Delivers app webhook events (an array, as HubSpot batches them) signed like HubSpot does.
export const sendAppWebhook = (w: World, events: Record<string, unknown>[]) => {
  const body = JSON.stringify(
    events.map((event, index) => ({
      eventId: 500000 + index,
      subscriptionId: 1,
      portalId: Number(w.hs.portalId),
      appId: Number(w.hs.app.appId),
      occurredAt: Date.now(),
      attemptNumber: 0,
      ...event,
    }))
  )
  return postWebhook(w, body, v3Headers(w, body))
}

// An agent reply whose channel webhook HubSpot has not sent yet: the reply exists in the thread, and
// the OUTGOING_CHANNEL_MESSAGE_CREATED body is built as HubSpot builds it (spec §4.1), for the test
// to change (`adjust`) and deliver by hand.
export const withheldAgentReply = (
  w: World,
  threadId: string,
  reply: Parameters<World['hs']['agent']['reply']>[1],
  adjust?: (message: ReturnType<World['hs']['agent']['reply']>) => void
) => {
  const thread = w.hs.portal.threads.get(threadId)!
  const channel = w.hs.portal.channels.get(thread.originalChannelId)!
  const webhookUrl = channel.webhookUrl
  channel.webhookUrl = undefined
  let message
  try {
    message = w.hs.agent.reply(threadId, reply)
  } finally {
    channel.webhookUrl = webhookUrl
  }
  adjust?.(message)
  const body = JSON.stringify({
    type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
    eventId: randomUUID(),
    eventTimestamp: new Date().toISOString(),
    portalId: w.hs.portalId,
    channelId: channel.id,
    channelAccountId: message.channelAccountId,
    channelIntegrationThreadIds: thread.integrationThreadId ? [thread.integrationThreadId] : [],
    message,
  })
  return { message, body }
}

// A world with Jane already escalated, her thread open.
export const escalated = async (options: WorldOptions = {}) => {
  const w = await world(options)
  const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
  await settle(w)
  return { w, session, threadId: threadOf(w, session) }
}

// The link the integration hands the bot builder: <webhook URL>/oauth/start?key=…
export const connectLink = (w: World, driver = w.driver): string =>
  connectLinkFor(
    driver.webhookUrl,
    String((driver.configuration as { clientSecret?: unknown }).clientSecret),
    driver.webhookId
  )

export type Hop = { status: number; location: string | null; body: string }

// A browser, one hop at a time: it keeps the cookies it is given and sends them back.
export const newBrowser = () => {
  const jar = new Map<string, string>()
  return {
    jar,
    open: async (url: string): Promise<Hop> => {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
      const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} })
      const set = response.headers.get('set-cookie')
      if (set) {
        const [pair = ''] = set.split(';')
        const [name = '', ...value] = pair.split('=')
        if (/max-age=0\b/i.test(set)) jar.delete(name.trim())
        else jar.set(name.trim(), value.join('='))
      }
      return { status: response.status, location: response.headers.get('location'), body: await response.text() }
    },
  }
}

// A form of a page (the connect flow's confirmation): where it goes and its hidden fields.
export const formOf = (hop: Hop): { action: string; hidden: Record<string, string> } | undefined => {
  const unescape = (text: string) =>
    text.replace(
      /&(amp|lt|gt|quot|#39);/g,
      (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? ''
    )
  const form = /<form method="get" action="([^"]*)"/.exec(hop.body)
  if (!form) return undefined
  const hidden: Record<string, string> = {}
  for (const input of hop.body.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    hidden[unescape(input[1]!)] = unescape(input[2]!)
  }
  return { action: unescape(form[1]!), hidden }
}

// The URL a browser opens when the form of `hop` is sent with `fields` typed in.
export const submitted = (hop: Hop, fields: Record<string, string>): string => {
  const form = formOf(hop)
  if (!form) throw new Error(`no form in the page: ${hop.body.slice(0, 200)}`)
  const url = new URL(form.action)
  for (const [name, value] of Object.entries({ ...form.hidden, ...fields })) url.searchParams.set(name, value)
  return url.toString()
}

// The bot builder opens the connect link and approves in HubSpot: the link, its check that the
// cookie comes back (`start` is the hop that sends the browser to HubSpot), HubSpot's consent, the
// callback; when the cookie did not come back (a gateway that drops cookies), the callback asks for
// the link again, and the builder pastes it.
export const connectThroughBrowser = async (w: World, driver = w.driver, browser = newBrowser()) => {
  const link = connectLink(w, driver)
  const first = await browser.open(link)
  const start = first.location ? await browser.open(first.location) : first
  const consent = start.location ? await browser.open(start.location) : start
  const redirected = consent.location ? await browser.open(consent.location) : consent
  const confirmation = formOf(redirected) ? redirected : undefined
  const callback = confirmation ? await browser.open(submitted(confirmation, { link })) : redirected
  return { first, start, consent, confirmation, callback, browser }
}

// Waits; for tests that let real time pass (the stand-ins' timing is real).
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// A customer with an email no contact of the seed has.
export const jane = { name: 'Jane Doe', email: 'jane@example.com' }

// The customer writes a text in the session.
export const says = (w: World, session: HitlSession, text: string) =>
  w.bot.customerSays(session, { type: 'text', payload: { text } })

// HubSpot's v1 signature headers for a body (app webhooks without v3).
export const v1Headers = (w: World, body: string, secret = w.hs.app.clientSecret): Headers => ({
  'x-hubspot-signature': signV1({ secret, body }),
  'x-hubspot-signature-version': 'v1',
})

// The status the integration reported for an agent message (SENT, FAILED), if any.
export const reportedStatusType = (w: World, messageId: string) => reportedStatus(w, messageId)?.statusType

// One-click: Connect pressed for `driver`, and on HubSpot's account chooser the user picks
// `portalId` (HubSpot then continues on /oauth/<portalId>/authorize); the redirects are followed
// to the integration's confirmation page.
export const pressConnect = async (
  w: World,
  driver: World['driver'],
  options: { portalId?: string } = {}
): Promise<{ status: number; url: string; body: string }> => {
  let url = `${w.bp.webhookBaseUrl}/oauth/start?state=${encodeURIComponent(driver.webhookId)}`
  for (let hops = 0; hops < 10; hops++) {
    const chooser = `${w.hs.url}/oauth/authorize`
    if (options.portalId && url.startsWith(chooser)) {
      url = `${w.hs.url}/oauth/${options.portalId}/authorize${url.slice(chooser.length)}`
    }
    const response = await fetch(url, { redirect: 'manual' })
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || !location) {
      return { status: response.status, url, body: await response.text() }
    }
    await response.body?.cancel()
    url = new URL(location, url).toString()
  }
  throw new Error('Connect led through more than 10 redirects')
}
