// [budget] A burst far above what one portal's HubSpot limit allows (110 calls per rolling 10 s):
// the per-portal budget queues the calls instead of storming HubSpot, so every message arrives, in
// order, once, and HubSpot refuses almost none of them.
import { afterEach, describe, expect, it } from 'vitest'
import { CapacityDriver, DEFAULT_MIX } from '../../bench/capacity-run'
import { measureStream } from '../../bench/load-metrics'
import { startWorldOnProcesses, type ProcessPool } from '../../testbed/multi-process'
import type { World } from '../../testbed/world'
import { settle, threadMessages, threadOf, world } from './helpers'

const SESSIONS = 10
const MESSAGES_EACH = 30

describe('[budget] the per-portal call budget', () => {
  it('[budget] 300 customer messages at once on one portal: all delivered in order, once, with few 429s', async () => {
    const w = await world()
    expect(w.hs.settings.rateLimitPer10s).toBe(110)
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) =>
        w.bot.escalate({ customer: { name: `Burst ${i}`, email: `burst.${i}@example.com` } })
      )
    )
    await settle(w)
    w.hs.resetCalls()
    const started = Date.now()

    // Every customer writes their messages one after the other; all customers at once.
    const sent = sessions.map(() => [] as { mark: string; sentAt: number }[])
    const failures: string[] = []
    await Promise.all(
      sessions.map(async (session, s) => {
        for (let n = 0; n < MESSAGES_EACH; n++) {
          const mark = `[B${s}-${n}]`
          sent[s]!.push({ mark, sentAt: Date.now() })
          await w.bot
            .customerSays(session, { type: 'text', payload: { text: `${mark} message ${n}` } })
            .catch((error: unknown) => failures.push(String(error)))
        }
      })
    )
    await settle(w)
    const tookMs = Date.now() - started

    expect(failures).toEqual([])
    for (const [s, session] of sessions.entries()) {
      const arrived = threadMessages(w, threadOf(w, session)).flatMap((m) => {
        const found = /\[B\d+-\d+\]/.exec(m.text)
        return found ? [{ mark: found[0], at: Date.parse(m.createdAt) }] : []
      })
      expect(measureStream(sent[s]!, arrived)).toMatchObject({
        sent: MESSAGES_EACH,
        delivered: MESSAGES_EACH,
        lost: 0,
        duplicated: 0,
        outOfOrder: 0,
      })
    }
    const calls = w.hs.calls.filter((call) => call.auth === 'bearer')
    const refused = calls.filter((call) => call.status === 429).length
    expect(refused / calls.length).toBeLessThan(0.05)
    // The budget, not HubSpot, set the pace: 300 publishes need at least 2 windows of 10 s.
    expect(tookMs).toBeGreaterThan(15_000)
  }, 120_000)
})

describe('[budget] short-lived processes', () => {
  let running: { w: World; pool: ProcessPool } | undefined
  afterEach(async () => {
    await running?.w.close()
    await running?.pool.close()
    running = undefined
  })

  // `npm run capacity -- --processes 3 --churn 10`, shortened: each process answers 10 requests and
  // is replaced by a fresh one, which knows nothing of the portal's window. Offered near the bound.
  // This short step passes without the cautious start too (measured): the full capacity run's step at
  // the bound is what told the two apart (README, Capacity); a short step well past the bound still
  // sees 8 to 21 % of calls refused with or without it.
  it('[budget] a capacity step on 3 processes, each replaced after 10 requests: nothing lost, under 5 % of calls answered 429', async () => {
    running = await startWorldOnProcesses(3, {}, { churn: 10 })
    const { w, pool } = running
    expect([w.hs.settings.rateLimitPer10s, w.hs.settings.searchRateLimitPerSecond]).toEqual([110, 5])
    w.hs.settings.webhookConcurrency = 10
    const driver = new CapacityDriver(w, DEFAULT_MIX)
    try {
      await driver.open(3)
      await driver.step(2, 3_000)
      const step = await driver.step(3.4, 10_000)
      const context = JSON.stringify({ ...step, failures: step.failures.slice(0, 3), processes: pool.handled.length })
      // The processes did turn over, many times.
      expect(pool.handled.length, context).toBeGreaterThan(10)
      expect(step.failures, context).toEqual([])
      for (const direction of [step.customerToAgent, step.agentToCustomer]) {
        expect(direction, context).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 })
        expect(direction.delivered, context).toBe(direction.sent)
      }
      for (const type of ['hitlAssigned', 'hitlStopped']) {
        expect(step.events[type], context).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 })
      }
      expect(step.share429, context).toBeLessThan(0.05)
    } finally {
      driver.dispose()
    }
  }, 90_000)
})
