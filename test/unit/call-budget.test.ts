import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BudgetExhaustedError, CallBudget } from '../../src/hubspot/call-budget'

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

const order = (budget: CallBudget, count: number, deadlineMs = 60_000) => {
  const released: { index: number; at: number }[] = []
  const refused: number[] = []
  const start = Date.now()
  for (let index = 0; index < count; index++) {
    budget.take(start + deadlineMs).then(
      () => released.push({ index, at: Date.now() - start }),
      (error: unknown) => {
        if (error instanceof BudgetExhaustedError) refused.push(index)
      }
    )
  }
  return { released, refused }
}

describe('the per-portal call budget', () => {
  it('lets the limit through at once and the rest as the window turns over (and the time a call takes to arrive), in order', async () => {
    const budget = new CallBudget(() => 3, 1_000)
    const { released } = order(budget, 7)
    await vi.advanceTimersByTimeAsync(0)
    expect(released.map((r) => r.index)).toEqual([0, 1, 2])
    await vi.advanceTimersByTimeAsync(1_099)
    expect(released.map((r) => r.index)).toEqual([0, 1, 2])
    await vi.advanceTimersByTimeAsync(1)
    expect(released.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5])
    await vi.advanceTimersByTimeAsync(1_100)
    expect(released.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(released.map((r) => r.at)).toEqual([0, 0, 0, 1_100, 1_100, 1_100, 2_200])
  })

  it('refuses at once a call whose turn would come after its deadline', async () => {
    const budget = new CallBudget(() => 2, 1_000)
    const { released, refused } = order(budget, 5, 1_500)
    await vi.advanceTimersByTimeAsync(3_000)
    expect(released.map((r) => r.index)).toEqual([0, 1, 2, 3])
    expect(refused).toEqual([4])
  })

  it.each([
    { remaining: 50, pausedMs: 0 },
    { remaining: 5, pausedMs: 0 },
    { remaining: 2, pausedMs: 100 },
    { remaining: 0, pausedMs: 300 },
  ])('HubSpot reporting $remaining calls left of 100 delays the next call by $pausedMs ms', async ({ remaining, pausedMs }) => {
    const budget = new CallBudget(() => 100, 10_000)
    budget.observe(remaining, 100)
    const { released } = order(budget, 1)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(released[0]?.at).toBe(pausedMs)
  })

  it('a 429 all the same holds every call for a few slots of the window', async () => {
    const budget = new CallBudget(() => 10, 1_000)
    budget.rateLimited()
    const { released } = order(budget, 2)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(released.map((r) => r.at)).toEqual([400, 400])
  })

  it('shares the window with other processes: a 429 halves what this process sends, room to spare grows it back', async () => {
    const budget = new CallBudget(() => 10, 1_000)
    budget.rateLimited()
    await vi.advanceTimersByTimeAsync(1_000)
    const crowded = order(budget, 10)
    await vi.advanceTimersByTimeAsync(999)
    expect(crowded.released).toHaveLength(5)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(crowded.released).toHaveLength(10)

    // HubSpot answers with most of the window free: one more call of share at a time.
    for (let i = 0; i < 10; i++) {
      budget.observe(90, 100)
      await vi.advanceTimersByTimeAsync(200)
    }
    await vi.advanceTimersByTimeAsync(1_000)
    const relieved = order(budget, 10)
    await vi.advanceTimersByTimeAsync(0)
    expect(relieved.released).toHaveLength(10)
  })

  it('growing back does not delay the next cut: a 429 a second after the last one halves the share again', async () => {
    const budget = new CallBudget(() => 40, 1_000)
    budget.rateLimited() // 20
    for (let i = 0; i < 8; i++) {
      await vi.advanceTimersByTimeAsync(200)
      budget.observe(90, 100) // grows by one each time: 25 after a second or so
    }
    budget.rateLimited()
    await vi.advanceTimersByTimeAsync(1_200)
    const { released } = order(budget, 40)
    await vi.advanceTimersByTimeAsync(0)
    expect(released.length).toBeLessThanOrEqual(14)
  })
})
