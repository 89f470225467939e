import { describe, expect, it } from 'vitest'
import { decideRetry, type RetryInput } from '../../src/hubspot/retry-policy'

const base: RetryInput = {
  status: 503,
  retrySafe: true,
  attempt: 1,
  elapsedMs: 0,
  budgetMs: 10_000,
  baseDelayMs: 100,
  random: () => 0.5,
  now: 0,
}

describe('[retry] retry policy', () => {
  it.each<[string, Partial<RetryInput>, boolean]>([
    ['503 on a safe request', {}, true],
    ['503 on an unsafe POST', { retrySafe: false }, false],
    ['network error on a safe request', { status: undefined }, true],
    ['429 on an unsafe POST (never processed)', { status: 429, retrySafe: false }, true],
    ['429 for the DAILY policy', { status: 429, policyName: 'DAILY' }, false],
    ['429 for the ten-secondly policy', { status: 429, policyName: 'TEN_SECONDLY_ROLLING' }, true],
    ['400', { status: 400 }, false],
    ['401', { status: 401 }, false],
    ['404', { status: 404 }, false],
    ['501', { status: 501 }, false],
    ['a sixth retry', { attempt: 6 }, false],
  ])('%s → retry %s', (_name, change, retry) => {
    expect(decideRetry({ ...base, ...change }).retry).toBe(retry)
  })

  it('honours Retry-After in seconds and as a date', () => {
    expect(decideRetry({ ...base, status: 429, retryAfterHeader: '2' })).toEqual({ retry: true, delayMs: 2000 })
    expect(decideRetry({ ...base, status: 429, retryAfterHeader: new Date(3000).toUTCString(), now: 0 })).toEqual({
      retry: true,
      delayMs: 3000,
    })
  })

  it('backs off exponentially with jitter, longer for rate limits', () => {
    const delays = [1, 2, 3].map((attempt) => (decideRetry({ ...base, attempt }) as { delayMs: number }).delayMs)
    expect(delays).toEqual([75, 150, 300])
    expect((decideRetry({ ...base, status: 429 }) as { delayMs: number }).delayMs).toBe(300)
    const low = decideRetry({ ...base, random: () => 0 }) as { delayMs: number }
    const high = decideRetry({ ...base, random: () => 0.999 }) as { delayMs: number }
    expect(low.delayMs).toBe(50)
    expect(high.delayMs).toBeLessThanOrEqual(100)
  })

  it('gives up rather than exceed the time budget', () => {
    const decision = decideRetry({ ...base, status: 429, retryAfterHeader: '30', budgetMs: 20_000 })
    expect(decision.retry).toBe(false)
    expect(decideRetry({ ...base, elapsedMs: 9_990 }).retry).toBe(false)
  })
})
