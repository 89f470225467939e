import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BudgetExhaustedError, CallBudget } from '../../src/hubspot/call-budget'
import { HubSpotHttp } from '../../src/hubspot/http'
import { silentLogger } from '../../src/log'

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
  it('a fresh process starts cautious: one call until its answer, then only what HubSpot says is left of the shared window', async () => {
    const budget = new CallBudget(() => 105, 10_000, Date.now, { cautious: true })
    const { released } = order(budget, 40)
    await vi.advanceTimersByTimeAsync(0)
    expect(released).toHaveLength(1)
    // Earlier processes spent 79 calls of the window (110 - 30 left, less our own one).
    budget.observe(30, 110)
    await vi.advanceTimersByTimeAsync(0)
    // 105 - 80: the rest waits for those calls to leave the window, as if sent evenly over it.
    expect(released).toHaveLength(26)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(released.length).toBeGreaterThan(26)
    expect(released.length).toBeLessThan(40)
  })

  it('a cautious start that hears nothing sends its next call after 2 s; one that is not cautious sends at once', async () => {
    const cautious = order(new CallBudget(() => 105, 10_000, Date.now, { cautious: true }), 3)
    const bold = order(new CallBudget(() => 105, 10_000), 3)
    await vi.advanceTimersByTimeAsync(0)
    expect([cautious.released.length, bold.released.length]).toEqual([1, 3])
    await vi.advanceTimersByTimeAsync(2_000)
    expect(cautious.released).toHaveLength(3)
  })

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
  ])(
    'HubSpot reporting $remaining calls left of 100 delays the next call by $pausedMs ms',
    async ({ remaining, pausedMs }) => {
      const budget = new CallBudget(() => 100, 10_000)
      budget.observe(remaining, 100)
      const { released } = order(budget, 1)
      await vi.advanceTimersByTimeAsync(10_000)
      expect(released[0]?.at).toBe(pausedMs)
    }
  )

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

describe('[budget] the CRM search budget', () => {
  it('[budget] a search answered without a 429 grows the share back, as an answer with room does for the general budget', async () => {
    const budget = new CallBudget(() => 4, 1_000)
    budget.rateLimited() // a SECONDLY 429: 2 searches a second
    await vi.advanceTimersByTimeAsync(1_000)
    for (let i = 0; i < 4; i++) {
      budget.answered()
      await vi.advanceTimersByTimeAsync(500)
    }
    await vi.advanceTimersByTimeAsync(1_100)
    const { released } = order(budget, 4)
    await vi.advanceTimersByTimeAsync(0)
    expect(released).toHaveLength(4)
  })

  // Through the HTTP client, as a portal sees it. Before, only the general budget listened to
  // HubSpot's answers, and a search budget halved by a SECONDLY 429 stayed at half for good.
  it('[budget] recovers its full rate after a SECONDLY 429', async () => {
    vi.useRealTimers()
    // Retry-After longer than the call's time budget: that search fails at once (no retry), as
    // the 429s that reached the budget before did.
    const server = await searchEndpoint({ retryAfter: '10' })
    try {
      const http = clientOf(server, 'search-recovery')
      const started = Date.now()
      // Two searchers, each one search after the other, for 5 seconds.
      await Promise.all(
        [0, 1].map(async () => {
          while (Date.now() - started < 5_000) {
            await search(http).catch(() => new Promise((resolve) => setTimeout(resolve, 50)))
          }
        })
      )
      expect(server.refused).toBe(1)
      // Seconds 3 to 5: 4 searches a second again (2 a second, about 4 in all, while it stayed halved).
      expect(
        server.arrivals.filter((at) => at >= started + 3_000 && at < started + 5_000).length
      ).toBeGreaterThanOrEqual(6)
    } finally {
      await server.close()
    }
  }, 15_000)

  // axios-retry answers a retried request with the retry's answer: the budgets must have seen the
  // 429 before that, or a 429 cuts nothing whenever its retry succeeds.
  it('[budget] a SECONDLY 429 that is retried still halves the search budget and holds the retry', async () => {
    vi.useRealTimers()
    const server = await searchEndpoint({})
    try {
      const http = clientOf(server, 'search-retried')
      await search(http)
      expect(server.arrivals).toHaveLength(2)
      // The retry waited for the pause a 429 imposes (4 slots of a 4-a-second window), not just its backoff.
      expect(server.arrivals[1]! - server.arrivals[0]!).toBeGreaterThanOrEqual(900)
    } finally {
      await server.close()
    }
  }, 15_000)
})

// A CRM search endpoint that answers its first search with a SECONDLY 429, then succeeds.
const searchEndpoint = async (options: { retryAfter?: string }) => {
  const arrivals: number[] = []
  const state = { refused: 0 }
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      arrivals.push(Date.now())
      res.setHeader('content-type', 'application/json')
      if (state.refused === 0) {
        state.refused++
        res.statusCode = 429
        if (options.retryAfter) res.setHeader('retry-after', options.retryAfter)
        res.end(
          JSON.stringify({
            status: 'error',
            message: 'You have reached your secondly limit.',
            errorType: 'RATE_LIMIT',
            policyName: 'SECONDLY',
          })
        )
        return
      }
      res.end(JSON.stringify({ total: 0, results: [] }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    arrivals,
    get refused() {
      return state.refused
    },
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const clientOf = (server: { url: string }, portal: string) =>
  new HubSpotHttp({
    baseUrl: server.url,
    tokens: { get: async () => 'token', invalidate: () => undefined, portalId: () => portal },
    budgetMs: 5_000,
    baseDelayMs: 10,
    timeoutMs: 2_000,
    logger: silentLogger,
  })

const search = (http: HubSpotHttp) =>
  http.send({
    method: 'POST',
    path: '/crm/v3/objects/contacts/search',
    limit: 'search',
    auth: 'bearer',
    retrySafe: true,
    json: {},
    schema: undefined,
  })
