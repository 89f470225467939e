// Reliability under faults over real HTTP: signatures, duplicate and out-of-order webhooks, retried
// publishes, HubSpot's retryable answers and the retry budget, and expired or revoked tokens.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signV1 } from '../../src/hubspot/signature'
import { DriverError } from '../../testbed/botpress'
import type { HitlSession } from '../../testbed/botpress/hitl-bot'
import type { World } from '../../testbed/world'
import {
  customerView,
  escalated,
  eventsOf,
  postWebhook,
  reportedStatus,
  shownStatus,
  setEnv,
  settle,
  threadMessages,
  v3Headers,
  withheldAgentReply,
  type Headers,
} from './helpers'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const v1 = (w: World, body: string, secret = w.hs.app.clientSecret): Headers => ({
  'x-hubspot-signature': signV1({ secret, body }),
  'x-hubspot-signature-version': 'v1',
})

const appEvent = (w: World, threadId: string, fields: { propertyName: string; propertyValue: string }) => ({
  eventId: Math.floor(Math.random() * 1e9),
  subscriptionId: 1,
  portalId: Number(w.hs.portalId),
  appId: Number(w.hs.app.appId),
  occurredAt: Date.now(),
  subscriptionType: 'conversation.propertyChange',
  attemptNumber: 0,
  objectId: Number(threadId),
  changeSource: 'CONVERSATIONS',
  ...fields,
})

const statusOf = (w: World, messageId: string) => reportedStatus(w, messageId)?.statusType
const incomingTexts = (w: World, threadId: string) =>
  threadMessages(w, threadId)
    .filter((m) => m.direction === 'INCOMING')
    .map((m) => m.text)
const messageCalls = (w: World) =>
  w.hs.calls.filter((c) => c.method === 'POST' && /\/custom-channels\/2026-03\/\d+\/messages$/.test(c.path))
const tokenCalls = (w: World) => w.hs.calls.filter((c) => c.method === 'POST' && /^\/oauth\/.*token$/.test(c.path))

// What Botpress answered the driver: the RuntimeError the integration threw.
const failureOf = async (promise: Promise<unknown>): Promise<{ status: number; type?: string; message: string }> => {
  try {
    await promise
  } catch (error) {
    if (!(error instanceof DriverError)) throw error
    const body = error.body as { type?: string; message?: string }
    return { status: error.status, type: body?.type, message: String(body?.message ?? error.body) }
  }
  throw new Error('expected the call to fail')
}

const says = (w: World, session: HitlSession, text: string) =>
  w.bot.customerSays(session, { type: 'text', payload: { text } })

describe('[signature] webhook signatures', () => {
  it('[signature] a channel webhook without a valid, fresh v3 signature over the raw body and the public URL is refused with 401 and changes nothing', async () => {
    const { w, session, threadId } = await escalated()
    const { message, body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Hi Jane, Ann here' })
    const tampered = body.replace('Hi Jane, Ann here', 'Send me your password')
    const sixMinutes = 6 * 60 * 1000
    const refused: [string, string, Headers][] = [
      ['no signature at all', body, {}],
      ['a timestamp but no signature', body, { 'x-hubspot-request-timestamp': String(Date.now()) }],
      [
        'a signature but no timestamp',
        body,
        { 'x-hubspot-signature-v3': v3Headers(w, body)['x-hubspot-signature-v3']! },
      ],
      [
        'a stale timestamp (6 min old), correctly signed',
        body,
        v3Headers(w, body, { timestamp: Date.now() - sixMinutes }),
      ],
      [
        'a future timestamp (6 min ahead), correctly signed',
        body,
        v3Headers(w, body, { timestamp: Date.now() + sixMinutes }),
      ],
      ['a non-numeric timestamp', body, { ...v3Headers(w, body), 'x-hubspot-request-timestamp': 'yesterday' }],
      ['signed with another secret', body, v3Headers(w, body, { secret: 'not-the-client-secret' })],
      ['signed over the internal integration URL', body, v3Headers(w, body, { uri: w.integrationUrl })],
      ['signed over another webhook id', body, v3Headers(w, body, { uri: `${w.bp.webhookBaseUrl}/${randomUUID()}` })],
      ['a body changed after signing', tampered, v3Headers(w, body)],
      [
        'a truncated signature',
        body,
        { ...v3Headers(w, body), 'x-hubspot-signature-v3': v3Headers(w, body)['x-hubspot-signature-v3']!.slice(0, 10) },
      ],
      ['only a valid v1 signature (channel webhooks carry v3)', body, v1(w, body)],
    ]
    w.hs.resetCalls()
    const messagesBefore = w.bp.store.messages.size
    for (const [label, sent, headers] of refused) {
      expect((await postWebhook(w, sent, headers)).status, label).toBe(401)
    }
    expect(w.bp.store.messages.size).toBe(messagesBefore)
    expect(customerView(w, session)).toEqual([])
    expect(statusOf(w, message.id)).toBeUndefined()
    expect(w.hs.calls).toEqual([])

    // The same body, signed 4 minutes ago with the right secret and URL, is delivered.
    expect((await postWebhook(w, body, v3Headers(w, body, { timestamp: Date.now() - 4 * 60 * 1000 }))).status).toBe(200)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Hi Jane, Ann here'])
    expect(shownStatus(w, message.id)).toBe('SENT')
  })

  it('[signature] an app webhook (array) with no v3 header is accepted on its v1 signature, and refused when v1 or a present v3 is wrong', async () => {
    const { w, session, threadId } = await escalated()
    const body = JSON.stringify([appEvent(w, threadId, { propertyName: 'assignedTo', propertyValue: '111' })])

    expect((await postWebhook(w, body, v1(w, body, 'not-the-client-secret'))).status).toBe(401)
    expect(
      (
        await postWebhook(w, body, {
          'x-hubspot-signature': v1(w, body)['x-hubspot-signature']!.toUpperCase().slice(2),
        })
      ).status
    ).toBe(401)
    // When v3 is present it decides, even if v1 is right.
    expect(
      (await postWebhook(w, body, { ...v1(w, body), ...v3Headers(w, body, { secret: 'not-the-client-secret' }) }))
        .status
    ).toBe(401)
    expect(
      (
        await postWebhook(w, body, {
          ...v1(w, body),
          ...v3Headers(w, body, { timestamp: Date.now() - 10 * 60 * 1000 }),
        })
      ).status
    ).toBe(401)
    expect(eventsOf(w, session)).toEqual([])

    expect((await postWebhook(w, body, v1(w, body))).status).toBe(200)
    const events = eventsOf(w, session)
    expect(events.map((e) => e.type)).toEqual(['hitlAssigned'])
    expect(w.bp.store.users.get(String(events[0]!.payload.userId))?.name).toBe('Ann Agent')
  })

  it('[signature] a channel webhook (object body) signed only with v1 is refused, however correct the v1 signature', async () => {
    const { w, session, threadId } = await escalated()
    const { message, body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'v1 only' })
    expect((await postWebhook(w, body, v1(w, body))).status).toBe(401)
    expect((await postWebhook(w, body, { ...v1(w, body), 'x-hubspot-signature-version': 'v2' })).status).toBe(401)
    expect(customerView(w, session)).toEqual([])
    expect(statusOf(w, message.id)).toBeUndefined()
  })
})

describe('[dedupe] duplicate and out-of-order webhooks', () => {
  it('[dedupe] an agent message delivered twice by HubSpot creates one Botpress message', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetDeliveries()
    w.hs.faults.webhooks({ duplicateNext: 1 })
    const reply = w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Only once, please' })
    await settle(w)
    const channelDeliveries = w.hs.deliveries.filter((d) => d.kind === 'channel')
    expect(channelDeliveries.map((d) => [d.duplicate, d.status])).toEqual([
      [false, 200],
      [true, 200],
    ])
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Only once, please'])
    expect(shownStatus(w, reply.id)).toBe('SENT')
  })

  it('[dedupe] the same agent message delivered five times concurrently creates one Botpress message', async () => {
    const { w, session, threadId } = await escalated()
    const { message, body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Concurrent copies' })
    const answers = await Promise.all(Array.from({ length: 5 }, () => postWebhook(w, body, v3Headers(w, body))))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200])
    const view = customerView(w, session)
    expect(view.map((m) => m.payload.text)).toEqual(['Concurrent copies'])
    expect([...w.bp.store.messages.values()].filter((m) => m.tags.hubspotMessageId === message.id)).toHaveLength(1)
    expect(shownStatus(w, message.id)).toBe('SENT')
  })

  it('[dedupe] duplicate assignment and close app webhooks, redelivered and re-posted concurrently, create one hitlAssigned and one hitlStopped', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetDeliveries()
    w.hs.faults.webhooks({ duplicateNext: 1 })
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    const assignment = w.hs.deliveries.find((d) => d.kind === 'app' && d.body.includes('"assignedTo"'))!
    expect(w.hs.deliveries.filter((d) => d.body.includes('"assignedTo"')).map((d) => [d.duplicate, d.status])).toEqual([
      [false, 200],
      [true, 200],
    ])
    // HubSpot may also deliver the same batch from several workers at once.
    const again = await Promise.all(
      Array.from({ length: 4 }, () =>
        postWebhook(w, assignment.body, { ...v3Headers(w, assignment.body), ...v1(w, assignment.body) })
      )
    )
    expect(again.map((a) => a.status)).toEqual([200, 200, 200, 200])

    w.hs.faults.webhooks({ duplicateNext: 1 })
    w.hs.agent.close(threadId)
    await settle(w)
    const close = w.hs.deliveries.find((d) => d.kind === 'app' && d.body.includes('"CLOSED"'))!
    const closeAgain = await Promise.all(
      Array.from({ length: 4 }, () => postWebhook(w, close.body, v3Headers(w, close.body)))
    )
    expect(closeAgain.map((a) => a.status)).toEqual([200, 200, 200, 200])

    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    expect(w.bot.isActive(session)).toBe(false)
  })

  const sendInOrder = async (w: World, threadId: string, texts: string[], gapMs: number) => {
    const ids: string[] = []
    for (const text of texts) {
      ids.push(w.hs.agent.reply(threadId, { actorId: 'A-111', text }).id)
      if (gapMs > 0) await sleep(gapMs)
    }
    return ids
  }
  const firstDeliveryOrder = (w: World) =>
    w.hs.deliveries
      .filter((d) => d.kind === 'channel' && d.attempt === 0 && !d.duplicate)
      .map((d) => (JSON.parse(d.body) as { message: { id: string } }).message.id)

  it('[dedupe] agent messages delivered out of order reach the customer in the order the agent sent them', async () => {
    const { w, session, threadId } = await escalated()
    const texts = ['one', 'two', 'three', 'four', 'five', 'six']
    w.hs.resetDeliveries()
    // Each reply makes a channel webhook and an app newMessage webhook: hold all of them.
    w.hs.faults.webhooks({ reorderNext: texts.length * 2 })
    const ids = await sendInOrder(w, threadId, texts, 3)
    await settle(w)
    expect(firstDeliveryOrder(w)).not.toEqual(ids)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(texts)
    expect(ids.map((id) => shownStatus(w, id))).toEqual(texts.map(() => 'SENT'))
  })

  it('[dedupe] reassignments delivered out of order leave the customer with the agent assigned last', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.faults.webhooks({ reorderNext: 2 })
    w.hs.agent.assign(threadId, 'A-111')
    await sleep(5)
    w.hs.agent.assign(threadId, 'A-222')
    await settle(w)
    const agentUserId = w.bot.status(session)?.agentUserId
    expect(w.bp.store.users.get(String(agentUserId))?.name).toBe('Bob Agent')
  })

  it('[dedupe] the agent’s last reply, whose channel webhook arrives after the close webhook, reaches the customer before the hand-back, or HubSpot shows it FAILED', async () => {
    const { w, session, threadId } = await escalated()
    // Channel webhooks and app webhooks travel separately: here the close overtakes the reply.
    const { message, body } = withheldAgentReply(w, threadId, {
      actorId: 'A-111',
      text: 'Goodbye, and thanks for waiting',
    })
    await sleep(5)
    w.hs.agent.close(threadId)
    await settle(w)
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlStopped'])
    expect((await postWebhook(w, body, v3Headers(w, body))).status).toBe(200)
    const reachedCustomer = w.bot
      .upstreamMessages(session)
      .some((m) => m.payload.text === 'Goodbye, and thanks for waiting')
    const status = shownStatus(w, message.id)
    expect({ reachedCustomer, status }).toSatisfy(
      (outcome: { reachedCustomer: boolean; status: string | undefined }) =>
        (outcome.reachedCustomer && outcome.status === 'SENT') ||
        (!outcome.reachedCustomer && outcome.status === 'FAILED')
    )
  })

  it('[dedupe] agent messages sent within the same millisecond and delivered out of order still reach the customer in the order sent', async () => {
    const { w, session, threadId } = await escalated()
    const texts = ['first', 'second', 'third', 'fourth']
    w.hs.resetDeliveries()
    w.hs.faults.webhooks({ reorderNext: texts.length * 2 })
    const ids = await sendInOrder(w, threadId, texts, 0)
    await settle(w)
    expect(firstDeliveryOrder(w)).not.toEqual(ids)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(texts)
  })
})

describe('[idempotency] retried publishes', () => {
  it('[idempotency] a customer message whose publish timed out and was retried creates one HubSpot message', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    // The first publish reaches HubSpot and takes effect, but its answer comes after our timeout.
    setEnv({ HUBSPOT_REQUEST_TIMEOUT_MS: '150' })
    w.hs.faults.latency(400, { method: 'POST', path: /\/messages$/ })
    const sent = says(w, session, 'Where is my parcel?')
    while (messageCalls(w).length === 0) await sleep(2)
    w.hs.faults.latency(0)
    const message = await sent
    await sleep(400) // the slow first publish completes on HubSpot's side
    expect(messageCalls(w).length).toBeGreaterThanOrEqual(2)
    expect(
      messageCalls(w)
        .map((c) => c.status)
        .sort()
    ).toEqual(expect.arrayContaining([200, 201]))
    const published = threadMessages(w, threadId).filter((m) => m.text === 'Where is my parcel?')
    expect(published).toHaveLength(1)
    expect(w.bp.store.messages.get(message.id)?.tags.hubspotMessageId).toBe(published[0]!.id)
  })

  it('[idempotency] the channel handler called twice for the same Botpress message creates the HubSpot message(s) once, long texts included', async () => {
    const { w, session, threadId } = await escalated()
    const long = Array.from({ length: 1500 }, (_, i) => `word${i}`).join(' ') // > 4000 characters: several HubSpot messages
    for (const text of ['Is anyone there?', long]) {
      const message = await says(w, session, text)
      const before = threadMessages(w, threadId).length
      const conversation = w.bp.store.conversations.get(session.conversationId)!
      const user = w.bp.store.users.get(message.userId)!
      const again = await w.driver.invoke('message_created', {
        type: message.type,
        payload: message.payload,
        conversation,
        user,
        message,
      })
      expect(again.status).toBe(200)
      expect(threadMessages(w, threadId).length).toBe(before)
    }
    const incoming = incomingTexts(w, threadId)
    expect(incoming.filter((t) => t === 'Is anyone there?')).toHaveLength(1)
    expect(
      incoming
        .join(' ')
        .split(' ')
        .filter((word) => word === 'word1499')
    ).toHaveLength(1)
    expect(incoming.filter((t) => t.startsWith('word0 '))).toHaveLength(1)
  })

  it('[idempotency] a publish answered 503 is retried and makes one HubSpot message', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 503, count: 1 })
    await says(w, session, 'After a 503')
    expect(messageCalls(w).map((c) => c.status)).toEqual([503, 201])
    expect(incomingTexts(w, threadId).filter((t) => t === 'After a 503')).toHaveLength(1)
  })
})

describe('[retry] HubSpot rate limits and server errors', () => {
  it('[retry] a 429 with Retry-After is retried after the delay HubSpot asked for', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 429, count: 1, retryAfterSeconds: 1 })
    const started = Date.now()
    await says(w, session, 'Rate limited once')
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    const [first, second] = messageCalls(w)
    expect([first?.status, second?.status]).toEqual([429, 201])
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
    expect(incomingTexts(w, threadId)).toContain('Rate limited once')
  })

  it('[retry] a 429 without Retry-After is retried with backoff', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 429, count: 2 })
    await says(w, session, 'Rate limited twice')
    expect(messageCalls(w).map((c) => c.status)).toEqual([429, 429, 201])
    expect(incomingTexts(w, threadId).filter((t) => t === 'Rate limited twice')).toHaveLength(1)
  })

  it('[retry] a 429 with policy DAILY is not retried and fails with a clear error', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 429, count: 1, policyName: 'DAILY' })
    const failure = await failureOf(says(w, session, 'Over the daily limit'))
    expect(messageCalls(w).map((c) => c.status)).toEqual([429])
    expect(incomingTexts(w, threadId)).not.toContain('Over the daily limit')
    expect(failure.type).toBe('Runtime')
    expect(failure.message).toMatch(/^HubSpot's daily API limit was reached\. Nothing was retried/)
    // Nothing was retried, and retrying in a few seconds cannot help before the daily quota resets.
    expect(failure.message).not.toMatch(/retried within/i)
    expect(failure.message).not.toMatch(/few seconds/i)
  })

  it('[retry] 502 and 503 answers are retried', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 502, count: 1 })
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 503, count: 1 })
    await says(w, session, 'Through the gateway errors')
    expect(messageCalls(w).map((c) => c.status)).toEqual([502, 503, 201])
    expect(incomingTexts(w, threadId).filter((t) => t === 'Through the gateway errors')).toHaveLength(1)

    // The same for a webhook's HubSpot calls (the timeline read and the status report).
    w.hs.faults.inject({ method: 'GET', path: /\/threads\/\d+\/messages$/, status: 502, count: 1 })
    w.hs.faults.inject({ method: 'PATCH', path: /\/messages\//, status: 503, count: 1 })
    w.hs.resetDeliveries()
    const reply = w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Reply through errors' })
    await settle(w)
    expect(w.hs.deliveries.filter((d) => d.kind === 'channel').map((d) => d.status)).toEqual([200])
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Reply through errors'])
    expect(shownStatus(w, reply.id)).toBe('SENT')
  })

  it('[retry] past the retry budget, a customer message is kept for later (outbox) and an escalation fails with a RuntimeError that says HubSpot did not answer', async () => {
    const { w, session, threadId } = await escalated({ env: { HUBSPOT_RETRY_BUDGET_MS: '300' } })
    w.hs.resetCalls()
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 503, count: 1000 })
    const started = Date.now()
    await says(w, session, 'Lost in the outage?')
    const elapsed = Date.now() - started
    w.hs.faults.clear()
    expect(messageCalls(w).length).toBeGreaterThan(1)
    expect(elapsed).toBeLessThan(2000)
    expect(incomingTexts(w, threadId)).not.toContain('Lost in the outage?')
    expect(w.bp.store.conversations.get(session.conversationId)?.tags.outboxPending).toBe('true')

    // An escalation in the same outage fails too, and leaves no placeholder conversation.
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 503, count: 1000 })
    const hitlBefore = [...w.bp.store.conversations.values()].filter((c) => c.channel === 'hitl').length
    const escalation = await failureOf(
      w.bot.escalate({ customer: { name: 'John Smith', email: 'john.smith@example.com' } })
    )
    w.hs.faults.clear()
    expect(escalation.message).toMatch(/HubSpot did not answer in time/)
    expect([...w.bp.store.conversations.values()].filter((c) => c.channel === 'hitl')).toHaveLength(hitlBefore)
  })

  it('[retry] past the webhook retry budget, the webhook answers 503; HubSpot redelivers and the redelivery succeeds, once', async () => {
    const { w, session, threadId } = await escalated({
      env: { HUBSPOT_WEBHOOK_RETRY_BUDGET_MS: '100' },
      hubspot: { webhookRetryDelaysMs: [50, 100, 200, 400, 800] },
    })
    // The integration itself answers 503 while HubSpot keeps failing.
    const withheld = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Held by an outage' })
    w.hs.faults.inject({ method: 'GET', path: /\/threads\/\d+\/messages$/, status: 503, count: 1000 })
    const direct = await w.driver.relayWebhook({
      method: 'POST',
      path: '/',
      query: '',
      headers: { 'content-type': 'application/json', ...v3Headers(w, withheld.body) },
      body: withheld.body,
    })
    expect(direct.status).toBe(503)
    expect(customerView(w, session)).toEqual([])
    w.hs.faults.clear()

    // Through HubSpot: the status report fails after the message was created, so the first
    // delivery fails; redeliveries find the message already created. (This HubSpot shows replies
    // without a status, so the integration reports SENT.)
    w.hs.settings.agentReplyStatus = null
    w.hs.resetDeliveries()
    w.hs.faults.inject({ method: 'PATCH', path: /\/messages\//, status: 503, count: 8 })
    const reply = w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'After the outage' })
    await settle(w)
    const attempts = w.hs.deliveries.filter((d) => d.kind === 'channel' && d.body.includes(reply.id))
    expect(attempts.length).toBeGreaterThanOrEqual(2)
    expect(attempts[0]!.status).toBeGreaterThanOrEqual(500)
    expect(attempts.at(-1)!.status).toBe(200)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Held by an outage', 'After the outage'])
    expect(shownStatus(w, reply.id)).toBe('SENT')
    // Delivered on the first attempt, whose report failed; HubSpot shows it SENT as it did from the start.
    expect(w.hs.portal.messageById.get(withheld.message.id)?.status?.statusType).toBe('SENT')
  })
})

describe('[token] expired and revoked tokens', () => {
  it('[token] an expired access token costs one refresh and one retry, and the message goes through', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    w.hs.faults.expireAccessTokens()
    await says(w, session, 'After expiry')
    expect(tokenCalls(w).map((c) => c.status)).toEqual([200])
    expect(messageCalls(w).map((c) => c.status)).toEqual([401, 201])
    expect(incomingTexts(w, threadId)).toContain('After expiry')
  })

  it('[token] concurrent calls after expiry share one refresh', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    w.hs.faults.expireAccessTokens()
    const texts = ['c1', 'c2', 'c3', 'c4', 'c5']
    await Promise.all(texts.map((text) => says(w, session, text)))
    w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Agent after expiry' })
    await settle(w)
    expect(tokenCalls(w)).toHaveLength(1)
    expect(incomingTexts(w, threadId)).toEqual(expect.arrayContaining(texts))
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Agent after expiry'])
  })

  it('[token] a revoked refresh token fails with "HubSpot rejected the refresh token" and the way to reconnect, without retrying', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.faults.revokeRefreshToken(w.hs.refreshToken)
    w.hs.faults.expireAccessTokens()
    w.hs.resetCalls()
    const failure = await failureOf(says(w, session, 'Nobody can read this'))
    expect(failure.type).toBe('Runtime')
    expect(failure.message).toMatch(/HubSpot rejected the refresh token/)
    expect(failure.message).toContain(`Reconnect HubSpot at ${w.driver.webhookUrl}/oauth/start`)
    expect(tokenCalls(w).map((c) => c.status)).toEqual([400])
    expect(messageCalls(w).map((c) => c.status)).toEqual([401])

    // A webhook in that state is a permanent failure: answered 200 once, not redelivered in a loop.
    w.hs.resetDeliveries()
    const reply = w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Unreachable reply' })
    await settle(w)
    expect(w.hs.deliveries.filter((d) => d.kind === 'channel').map((d) => d.status)).toEqual([200])
    expect(customerView(w, session)).toEqual([])
    expect(statusOf(w, reply.id)).toBeUndefined()
  })
})
