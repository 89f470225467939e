// When HubSpot falters: 429s and 5xx retried within a budget, Retry-After and DAILY, expired and
// revoked tokens.
import { describe, expect, it } from 'vitest'
import { DriverError } from '../../testbed/botpress'
import type { World } from '../../testbed/world'
import {
  customerView,
  escalated,
  shownStatus,
  settle,
  threadMessages,
  v3Headers,
  withheldAgentReply,
  says,
  reportedStatusType,
} from './helpers'

const incomingTexts = (w: World, threadId: string) =>
  threadMessages(w, threadId)
    .filter((m) => m.direction === 'INCOMING')
    .map((m) => m.text)

const messageCalls = (w: World) =>
  w.hs.calls.filter((c) => c.method === 'POST' && /\/custom-channels\/2026-03\/\d+\/messages$/.test(c.path))

const tokenCalls = (w: World) => w.hs.calls.filter((c) => c.method === 'POST' && /^\/oauth\/.*token$/.test(c.path))

// What Botpress answered the driver: the RuntimeError the integration threw.
const runtimeFailureOf = async (
  promise: Promise<unknown>
): Promise<{ status: number; type?: string; message: string }> => {
  try {
    await promise
  } catch (error) {
    if (!(error instanceof DriverError)) throw error
    const body = error.body as { type?: string; message?: string }
    return { status: error.status, type: body?.type, message: String(body?.message ?? error.body) }
  }
  throw new Error('expected the call to fail')
}

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
    const failure = await runtimeFailureOf(says(w, session, 'Over the daily limit'))
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
    const escalation = await runtimeFailureOf(
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
    const failure = await runtimeFailureOf(says(w, session, 'Nobody can read this'))
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
    expect(reportedStatusType(w, reply.id)).toBeUndefined()
  })
})
