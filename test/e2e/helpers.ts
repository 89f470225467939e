// Shared steps of the end-to-end stories: a world per test, and what each side can observe.
import { afterAll, afterEach } from 'vitest'
import type { HitlSession } from '../../testbed/botpress/hitl-bot'
import { closeServedIntegration, startWorld, type World, type WorldOptions } from '../../testbed/world'

const open: World[] = []

export const world = async (options?: WorldOptions): Promise<World> => {
  const created = await startWorld(options)
  open.push(created)
  return created
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()))
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
  w.hs.portal.timeline(threadId).filter((entry) => entry.type === 'MESSAGE') as ReturnType<World['hs']['agent']['reply']>[]

// What the customer sees: messages the integration created on the HITL conversation.
export const customerView = (w: World, session: HitlSession) =>
  w.bot.agentMessages(session).map((m) => ({ type: m.type, payload: m.payload, userId: m.userId }))

export const eventsOf = (w: World, session: HitlSession) => w.bot.events(session).map((e) => ({ type: e.type, payload: e.payload }))

export const settle = (w: World) => w.hs.settle()

// A file hosted by Botpress, as the files customers send are: returns its public URL.
export const hostFile = async (w: World, name: string, content: string | Buffer, contentType: string): Promise<string> => {
  const { Client } = await import('@botpress/client')
  const client = new Client({ apiUrl: w.bp.url, token: w.bp.token, botId: w.driver.botId })
  const { file } = await client.uploadFile({ key: `customer/${Date.now()}-${name}`, content, contentType, accessPolicies: ['public_content'] })
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

// Delivers app webhook events (an array, as HubSpot batches them) signed like HubSpot does.
export const sendAppWebhook = async (w: World, events: Record<string, unknown>[]): Promise<Response> => {
  const { signV3 } = await import('../../src/hubspot/signature')
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
  const timestamp = Date.now()
  return fetch(w.driver.webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signV3({ secret: w.hs.app.clientSecret, method: 'POST', uri: w.driver.webhookUrl, body, timestamp }),
      'x-hubspot-request-timestamp': String(timestamp),
    },
    body,
  })
}
