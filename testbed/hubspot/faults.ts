// Fault injection (failing API calls, latency, webhook duplication and reordering) and the
// sliding-window rate limiters HubSpot applies per portal.
import { errorForStatus, rateLimited, type HubSpotError, type RateLimitPolicy } from './errors'

export type RequestMatch = { method?: string; path?: RegExp | string }

export type FaultSpec = RequestMatch & {
  status: number
  count: number
  retryAfterSeconds?: number
  policyName?: RateLimitPolicy
  delayMs?: number
}

export type WebhookFaultSpec = {
  // Probability (0..1) that a delivery is sent twice.
  duplicateRate?: number
  // While > 0, every delivery is held and the held ones are released shuffled when the window ends.
  reorderWindowMs?: number
  // Send the next N deliveries twice.
  duplicateNext?: number
  // Hold the next N deliveries and release them shuffled once all N are held (or the window ends).
  reorderNext?: number
}

type ActiveFault = FaultSpec & { remaining: number }

// A string matches any path that contains it; a RegExp is tested against the path.
const matches = (match: RequestMatch, method: string, path: string): boolean => {
  if (match.method && match.method.toUpperCase() !== method) return false
  if (match.path === undefined) return true
  return typeof match.path === 'string' ? path.includes(match.path) : match.path.test(path)
}

export class FaultController {
  // Faults that actually happened: failed API calls plus duplicated or held webhook deliveries.
  public count = 0
  // The source of the duplicate and reordering decisions (seeded by a load run to repeat them).
  public constructor(public readonly random: () => number = Math.random) {}
  private apiFaults: ActiveFault[] = []
  private latencies: { ms: number; match: RequestMatch }[] = []
  private webhookFaults = { duplicateRate: 0, reorderWindowMs: 0, duplicateNext: 0, reorderNext: 0 }

  public inject(spec: FaultSpec): void {
    if (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599) {
      throw new Error(`fault status must be 400..599, got ${spec.status}`)
    }
    if (!Number.isInteger(spec.count) || spec.count < 1) {
      throw new Error(`fault count must be a positive integer, got ${spec.count}`)
    }
    this.apiFaults.push({ ...spec, remaining: spec.count })
  }

  // latency(0) removes every latency rule.
  public latency(ms: number, match: RequestMatch = {}): void {
    if (ms <= 0) this.latencies = []
    else this.latencies.push({ ms, match })
  }

  public webhooks(spec: WebhookFaultSpec): void {
    this.webhookFaults = { ...this.webhookFaults, ...spec }
  }

  public clear(): void {
    this.apiFaults = []
    this.latencies = []
    this.webhookFaults = { duplicateRate: 0, reorderWindowMs: 0, duplicateNext: 0, reorderNext: 0 }
  }

  public pendingApiFaults(): number {
    return this.apiFaults.reduce((sum, fault) => sum + fault.remaining, 0)
  }

  public latencyFor(method: string, path: string): number {
    return this.latencies.filter((rule) => matches(rule.match, method, path)).reduce((sum, rule) => sum + rule.ms, 0)
  }

  // Consumes one matching fault, if any, and returns the error to answer with and its delay.
  public takeApiFault(method: string, path: string): { error: HubSpotError; delayMs: number } | null {
    const fault = this.apiFaults.find((candidate) => matches(candidate, method, path))
    if (!fault) return null
    fault.remaining -= 1
    if (fault.remaining === 0) this.apiFaults = this.apiFaults.filter((candidate) => candidate !== fault)
    this.count += 1
    const error =
      fault.status === 429
        ? rateLimited(fault.policyName ?? 'TEN_SECONDLY_ROLLING', fault.retryAfterSeconds)
        : errorForStatus(
            fault.status,
            fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) }
          )
    return { error, delayMs: fault.delayMs ?? 0 }
  }

  public takeDuplicate(): boolean {
    const faults = this.webhookFaults
    let duplicate = this.random() < faults.duplicateRate
    if (faults.duplicateNext > 0) {
      faults.duplicateNext -= 1
      duplicate = true
    }
    if (duplicate) this.count += 1
    return duplicate
  }

  public takeHold(): boolean {
    const faults = this.webhookFaults
    let hold = faults.reorderWindowMs > 0
    if (faults.reorderNext > 0) {
      faults.reorderNext -= 1
      hold = true
    }
    if (hold) this.count += 1
    return hold
  }

  // Held deliveries go out when the window ends, or at once when a reorderNext batch is complete.
  public holdWindowMs(): number | 'release-now' {
    const faults = this.webhookFaults
    if (faults.reorderWindowMs > 0) return faults.reorderWindowMs
    return faults.reorderNext === 0 ? 'release-now' : DEFAULT_REORDER_WINDOW_MS
  }
}

const DEFAULT_REORDER_WINDOW_MS = 1000

export class SlidingWindowLimiter {
  private hits: number[] = []

  public constructor(
    private readonly limit: () => number,
    public readonly windowMs: number
  ) {}

  // Records the hit and returns true when it is within the limit.
  public tryHit(now = Date.now()): boolean {
    this.hits = this.hits.filter((at) => now - at < this.windowMs)
    if (this.hits.length >= this.limit()) return false
    this.hits.push(now)
    return true
  }

  public max(): number {
    return this.limit()
  }

  public remaining(now = Date.now()): number {
    return Math.max(0, this.limit() - this.hits.filter((at) => now - at < this.windowMs).length)
  }
}
