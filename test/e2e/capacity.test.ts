// [capacity] A short capacity run: one portal under HubSpot's real limits, the realistic mix of
// `npm run capacity`, offered just under what the portal's 110 calls per 10 s allow at the mix's
// own cost. Nothing lost, doubled or reordered, and under 5 % of HubSpot calls answered 429.
import { describe, expect, it } from 'vitest'
import { CapacityDriver, DEFAULT_MIX } from '../../bench/capacity-run'
import { world } from './helpers'

describe('[capacity] one portal near its HubSpot rate limit', () => {
  it('[capacity] a step at about 85 % of the bound: every message once and in order, few 429s, sessions opened and closed', async () => {
    const w = await world()
    expect([w.hs.settings.rateLimitPer10s, w.hs.settings.searchRateLimitPerSecond]).toEqual([110, 5])
    const driver = new CapacityDriver(w, DEFAULT_MIX)
    try {
      await driver.open(3)
      const warm = await driver.step(1.5, 4_000)
      expect(warm.customerToAgent.lost + warm.agentToCustomer.lost).toBe(0)
      // At the mix's own cost (about 2.6 to 3 calls per exchange) the bound is near 3.8 exchanges/s.
      const step = await driver.step(3.2, 10_000)
      const context = JSON.stringify({ ...step, failures: step.failures.slice(0, 3) })
      expect(step.failures, context).toEqual([])
      for (const direction of [step.customerToAgent, step.agentToCustomer]) {
        expect(direction, context).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 })
        expect(direction.delivered, context).toBe(direction.sent)
      }
      expect(step.share429, context).toBeLessThan(0.05)
      expect(step.ratioToBound, context).toBeGreaterThan(0.7)
      expect(step.escalations, context).toBeGreaterThan(0)
      // Escalations (20-line histories among them) wait their turn too, well within an action's time.
      expect(step.escalationP99Ms, context).toBeLessThan(20_000)
      for (const type of ['hitlAssigned', 'hitlStopped']) {
        expect(step.events[type], context).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 })
      }
    } finally {
      driver.dispose()
    }
  }, 120_000)
})
