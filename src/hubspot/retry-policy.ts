// When and how long to wait before retrying a HubSpot call (pure, so it is tested on its own).
// 429s were not processed, so any request may be retried; after a 5xx or a network error the request
// may have taken effect, so only requests that are safe to repeat are retried.

const RETRYABLE_5XX = new Set([500, 502, 503, 504, 521, 522, 523, 524])
const RETRYABLE_OTHER = new Set([423, 429, 477])
const MAX_ATTEMPTS = 5

export type RetryInput = {
  status: number | undefined // undefined for a network error or timeout
  retryAfterHeader?: string
  policyName?: string
  retrySafe: boolean
  attempt: number // 1 for the first retry
  elapsedMs: number
  budgetMs: number
  baseDelayMs: number
  random?: () => number
  now?: number
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string }

const parseRetryAfterMs = (value: string | undefined, now: number): number | undefined => {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

export const decideRetry = (input: RetryInput): RetryDecision => {
  const random = input.random ?? Math.random
  const { status } = input
  if (input.attempt > MAX_ATTEMPTS) return { retry: false, reason: `gave up after ${MAX_ATTEMPTS} retries` }
  if (status === 429 && input.policyName === 'DAILY') {
    return { retry: false, reason: 'daily limit reached: retrying cannot help before tomorrow' }
  }

  const transient = status === undefined || RETRYABLE_5XX.has(status)
  if (!(transient || RETRYABLE_OTHER.has(status))) return { retry: false, reason: `status ${status} is not retryable` }
  if (transient && !input.retrySafe) {
    return { retry: false, reason: 'the request may have taken effect and is not safe to repeat' }
  }

  const serverDelay = parseRetryAfterMs(input.retryAfterHeader, input.now ?? Date.now())
  // Without Retry-After, back off exponentially with full jitter; rate limits start from a longer base.
  const base = status === 429 || status === 423 ? input.baseDelayMs * 4 : input.baseDelayMs
  const ceiling = base * 2 ** (input.attempt - 1)
  const delayMs = serverDelay ?? Math.round(ceiling / 2 + (random() * ceiling) / 2)

  if (input.elapsedMs + delayMs > input.budgetMs) {
    return { retry: false, reason: `waiting ${delayMs} ms would exceed the ${input.budgetMs} ms budget` }
  }
  return { retry: true, delayMs }
}
