// Delivers webhooks like HubSpot: signed (v3 and v1), channel events one object per request,
// app events batched in arrays, redelivered on failure, every attempt recorded.
// Deliveries to one URL go out in event order, `concurrency` at a time (one by default); faults can
// duplicate or reorder them.
import { signV1, signV3 } from '../../src/hubspot/signature'
import type { FaultController } from './faults'

export type AppWebhookEvent = {
  eventId: number
  subscriptionId: number
  portalId: number
  appId: number
  occurredAt: number
  subscriptionType: string
  attemptNumber: number
  objectId: number
  propertyName?: string
  propertyValue?: string
  changeSource?: string
  changeFlag?: string
  messageId?: string
  messageType?: string
}

export type DeliveryRecord = {
  kind: 'channel' | 'app'
  url: string
  body: string
  // null when the request failed or timed out without a response.
  status: number | null
  // 0 for the first attempt; app webhooks carry it as attemptNumber.
  attempt: number
  at: number
  durationMs: number
  duplicate: boolean
  error?: string
  headers: Record<string, string>
  // The receiver's answer body (its first 2,000 characters).
  answer?: string
}

type Job =
  | {
      kind: 'channel'
      url: string
      body: string
      attempt: number
      retries: number
      duplicate: boolean
      duplicationDecided: boolean
    }
  | {
      kind: 'app'
      url: string
      events: AppWebhookEvent[]
      attempt: number
      retries: number
      duplicate: boolean
      duplicationDecided: boolean
    }

type QueueItem = Job | { kind: 'app-flush' }

type Lane = { queue: QueueItem[]; active: number; pendingAppEvents: AppWebhookEvent[]; flushQueued: boolean }

export type DispatcherOptions = {
  secret: () => string
  retryDelaysMs: () => number[]
  timeoutMs: () => number
  concurrency: () => number
  faults: FaultController
}

const MAX_APP_BATCH = 100
// Answers HubSpot's webhooks overview names as not retried.
const NOT_RETRIED = new Set([400, 401, 403, 404, 405])
const USER_AGENT = 'HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nonprod)'

export class WebhookDispatcher {
  public readonly deliveries: DeliveryRecord[] = []
  private readonly lanes = new Map<string, Lane>()
  private readonly retryTimers = new Map<NodeJS.Timeout, Job>()
  private held: Job[] = []
  private releaseTimer: NodeJS.Timeout | null = null
  private readonly inFlight = new Set<AbortController>()
  private idleWaiters: (() => void)[] = []
  private stopped = false

  public constructor(private readonly options: DispatcherOptions) {}

  public sendChannelEvent(url: string, body: string): void {
    this.submit({ kind: 'channel', url, body, attempt: 0, retries: 0, duplicate: false, duplicationDecided: false })
  }

  public sendAppEvent(url: string, event: AppWebhookEvent): void {
    if (this.stopped) return
    if (this.options.faults.takeHold()) {
      this.hold({
        kind: 'app',
        url,
        events: [event],
        attempt: 0,
        retries: 0,
        duplicate: false,
        duplicationDecided: false,
      })
      return
    }
    const lane = this.lane(url)
    lane.pendingAppEvents.push(event)
    if (!lane.flushQueued) {
      lane.flushQueued = true
      lane.queue.push({ kind: 'app-flush' })
    }
    void this.pump(url)
  }

  public pendingCount(): number {
    let count = this.retryTimers.size + this.held.length
    for (const lane of this.lanes.values()) count += lane.queue.length + lane.pendingAppEvents.length + lane.active
    return count
  }

  public settle(): Promise<void> {
    if (this.pendingCount() === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  public stop(): void {
    this.stopped = true
    for (const timer of this.retryTimers.keys()) clearTimeout(timer)
    this.retryTimers.clear()
    if (this.releaseTimer) clearTimeout(this.releaseTimer)
    this.held = []
    for (const controller of this.inFlight) controller.abort()
    this.lanes.clear()
    this.notifyIfIdle(true)
  }

  private submit(job: Job): void {
    if (this.stopped) return
    if (this.options.faults.takeHold()) {
      this.hold(job)
      return
    }
    this.lane(job.url).queue.push(job)
    void this.pump(job.url)
  }

  private hold(job: Job): void {
    this.held.push(job)
    const window = this.options.faults.holdWindowMs()
    if (window === 'release-now') {
      this.releaseHeld()
      return
    }
    if (!this.releaseTimer) this.releaseTimer = setTimeout(() => this.releaseHeld(), window)
  }

  private releaseHeld(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer)
    this.releaseTimer = null
    const byUrl = new Map<string, Job[]>()
    for (const job of this.held) byUrl.set(job.url, [...(byUrl.get(job.url) ?? []), job])
    this.held = []
    // Each target receives its held deliveries in a different order than they were made.
    for (const [url, jobs] of byUrl) {
      this.lane(url).queue.push(...shuffleChangingOrder(jobs, this.options.faults.random))
      void this.pump(url)
    }
  }

  private lane(url: string): Lane {
    let lane = this.lanes.get(url)
    if (!lane) {
      lane = { queue: [], active: 0, pendingAppEvents: [], flushQueued: false }
      this.lanes.set(url, lane)
    }
    return lane
  }

  private async pump(url: string): Promise<void> {
    const lane = this.lanes.get(url)
    if (!lane || lane.active >= Math.max(1, this.options.concurrency()) || this.stopped) return
    const item = lane.queue.shift()
    if (!item) {
      this.notifyIfIdle()
      return
    }
    lane.active++
    const job = item.kind === 'app-flush' ? this.takeAppBatch(url, lane) : item
    if (job && !job.duplicationDecided) {
      job.duplicationDecided = true
      if (this.options.faults.takeDuplicate()) lane.queue.unshift(duplicateOf(job))
    }
    void this.pump(url)
    if (job) await this.attempt(job)
    lane.active--
    void this.pump(url)
  }

  private takeAppBatch(url: string, lane: Lane): Job | null {
    lane.flushQueued = false
    // One request carries events of one portal (Botpress routes it by the first event's portalId).
    const portalId = lane.pendingAppEvents[0]?.portalId
    const events: AppWebhookEvent[] = []
    const others: AppWebhookEvent[] = []
    for (const event of lane.pendingAppEvents) {
      if (event.portalId === portalId && events.length < MAX_APP_BATCH) events.push(event)
      else others.push(event)
    }
    lane.pendingAppEvents.splice(0, lane.pendingAppEvents.length, ...others)
    if (lane.pendingAppEvents.length > 0) {
      lane.flushQueued = true
      lane.queue.push({ kind: 'app-flush' })
    }
    if (events.length === 0) return null
    return { kind: 'app', url, events, attempt: 0, retries: 0, duplicate: false, duplicationDecided: false }
  }

  private async attempt(job: Job): Promise<void> {
    const body =
      job.kind === 'channel'
        ? job.body
        : JSON.stringify(job.events.map((event) => ({ ...event, attemptNumber: job.attempt })))
    const secret = this.options.secret()
    const timestamp = Date.now()
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      'X-HubSpot-Signature-v3': signV3({ secret, method: 'POST', uri: job.url, body, timestamp }),
      'X-HubSpot-Request-Timestamp': String(timestamp),
      'X-HubSpot-Signature': signV1({ secret, body }),
      'X-HubSpot-Signature-Version': 'v1',
    }
    const controller = new AbortController()
    const timer = setTimeout(
      () => controller.abort(new Error(`no answer within ${this.options.timeoutMs()} ms`)),
      this.options.timeoutMs()
    )
    this.inFlight.add(controller)
    let status: number | null = null
    let error: string | undefined
    let answer: string | undefined
    try {
      const response = await fetch(job.url, { method: 'POST', headers, body, signal: controller.signal })
      answer = (await response.text()).slice(0, 2000)
      status = response.status
    } catch (caught) {
      error = describeFailure(caught, controller.signal)
      status = null
    } finally {
      clearTimeout(timer)
      this.inFlight.delete(controller)
    }
    if (this.stopped) return
    this.deliveries.push({
      kind: job.kind,
      url: job.url,
      body,
      status,
      attempt: job.attempt,
      at: timestamp,
      durationMs: Date.now() - timestamp,
      duplicate: job.duplicate,
      ...(error === undefined ? {} : { error }),
      ...(answer === undefined ? {} : { answer }),
      headers,
    })
    const delivered = status !== null && status >= 200 && status < 300
    // HubSpot does not deliver again an answer that says the request itself is wrong.
    if (!delivered && !(status !== null && NOT_RETRIED.has(status))) this.scheduleRetry(job)
  }

  private scheduleRetry(job: Job): void {
    const delay = this.options.retryDelaysMs()[job.retries]
    if (delay === undefined) return
    const timer = setTimeout(() => this.redeliver(timer), delay)
    this.retryTimers.set(timer, job)
  }

  private redeliver(timer: NodeJS.Timeout): void {
    const job = this.retryTimers.get(timer)
    clearTimeout(timer)
    this.retryTimers.delete(timer)
    if (!job || this.stopped) return
    this.lane(job.url).queue.push({ ...job, attempt: job.attempt + 1, retries: job.retries + 1 })
    void this.pump(job.url)
  }

  /** Redeliveries waiting for their time (HubSpot's: minutes to hours). */
  public pendingRedeliveries(): number {
    return this.retryTimers.size
  }

  /** Advances the clock to every waiting redelivery: they are sent now. Returns how many. */
  public redeliverNow(): number {
    const timers = [...this.retryTimers.keys()]
    for (const timer of timers) this.redeliver(timer)
    return timers.length
  }

  private notifyIfIdle(force = false): void {
    if (!force && this.pendingCount() > 0) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}

// A duplicate is the same delivery sent again; app webhooks count it as a further attempt.
const duplicateOf = (job: Job): Job => ({
  ...job,
  attempt: job.kind === 'app' ? job.attempt + 1 : job.attempt,
  duplicate: true,
  duplicationDecided: true,
})

const describeFailure = (caught: unknown, signal: AbortSignal): string => {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason.message
  if (caught instanceof Error) {
    const cause = (caught as Error & { cause?: unknown }).cause
    return cause instanceof Error ? `${caught.message}: ${cause.message}` : caught.message
  }
  return String(caught)
}

const shuffleChangingOrder = <T>(items: T[], random: () => number): T[] => {
  const shuffled = [...items]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
  }
  if (shuffled.length > 1 && shuffled.every((item, index) => item === items[index])) {
    shuffled.push(shuffled.shift() as T)
  }
  return shuffled
}
