// [budget] A burst far above what one portal's HubSpot limit allows (110 calls per rolling 10 s):
// the per-portal budget queues the calls instead of storming HubSpot, so every message arrives, in
// order, once, and HubSpot refuses almost none of them.
import { describe, expect, it } from 'vitest'
import { measureStream } from '../../bench/load-metrics'
import { settle, threadMessages, threadOf, world } from './helpers'

const SESSIONS = 10
const MESSAGES_EACH = 30

describe('[budget] the per-portal call budget', () => {
  it('[budget] 300 customer messages at once on one portal: all delivered in order, once, with few 429s', async () => {
    const w = await world()
    expect(w.hs.settings.rateLimitPer10s).toBe(110)
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) => w.bot.escalate({ customer: { name: `Burst ${i}`, email: `burst.${i}@example.com` } }))
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
          await w.bot.customerSays(session, { type: 'text', payload: { text: `${mark} message ${n}` } }).catch((error: unknown) => failures.push(String(error)))
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
      expect(measureStream(sent[s]!, arrived)).toMatchObject({ sent: MESSAGES_EACH, delivered: MESSAGES_EACH, lost: 0, duplicated: 0, outOfOrder: 0 })
    }
    const calls = w.hs.calls.filter((call) => call.auth === 'bearer')
    const refused = calls.filter((call) => call.status === 429).length
    expect(refused / calls.length).toBeLessThan(0.05)
    // The budget, not HubSpot, set the pace: 300 publishes need at least 2 windows of 10 s.
    expect(tookMs).toBeGreaterThan(15_000)
  }, 120_000)
})
