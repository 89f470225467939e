// HubSpot's rate limits are per portal: an OAuth app gets 110 calls per rolling 10 s, CRM search 5
// per second (hubspot-api.md §10). A burst that simply fires and retries on 429 spends part of the
// window on refusals and makes every retry later still; a budget that queues calls spends it on
// calls that succeed. Each process keeps a rolling window of what it sent per portal and lets a
// call go only when the window has room. Botpress Cloud runs several processes, each with its own
// window, on one portal's limit: HubSpot's own count of the shared window (the
// X-HubSpot-RateLimit-Remaining header) running out, or a 429, tells a process that others are
// busy too, and it halves its share of the window; answers with a tenth of the window free (for CRM
// search, which reports no Remaining: any answer but a 429) grow it back one call at a time (additive increase, multiplicative decrease, as TCP shares a link), so the
// processes settle on their shares of the limit instead of refusing each other in turn.
import { processCache } from '../memory'

export class BudgetExhaustedError extends Error {
  public readonly name = 'BudgetExhaustedError'
  public constructor(public readonly waitedMs: number) {
    super(`HubSpot's rate limit for this portal leaves no room in time (waited ${waitedMs} ms)`)
  }
}

const WINDOW_SLACK_MS = 100
// A fresh process knows nothing of the portal's window, which earlier processes may have nearly
// spent: it sends one call, and waits for its answer (at most this long) before sending more.
const PROBES = 1
const PROBE_WAIT_MS = 2_000

type Waiter = { resolve: () => void; reject: (error: Error) => void; deadline: number; since: number }

export class CallBudget {
  private readonly sent: number[] = []
  private readonly waiting: Waiter[] = []
  private pausedUntil = 0
  private timer: NodeJS.Timeout | undefined
  // This process's share of the window when others use it too; undefined: the whole budget.
  private share: number | undefined
  private shrunkAt = 0
  private grownAt = 0
  // While cautious: no answer yet, so what the window holds is unknown (see learn()).
  private probing: { since?: number } | undefined

  public constructor(
    private readonly limit: () => number,
    public readonly windowMs: number,
    private readonly now: () => number = Date.now,
    options: { cautious?: boolean } = {}
  ) {
    if (options.cautious) this.probing = {}
  }

  // The first answer ends the cautious start. HubSpot's Remaining counts every call of the portal's
  // window, ours included: the rest are other processes' (earlier, short-lived ones of this
  // integration among them), and they stay in this window as if sent evenly over the last 10 s, so
  // this process spends only what HubSpot says is left.
  private learn(remaining: number | undefined, max: number | undefined): void {
    if (!this.probing) return
    this.probing = undefined
    if (remaining === undefined || !Number.isFinite(remaining)) return this.schedule()
    this.prune()
    const others = Math.max(0, Math.floor((max ?? this.limit()) - remaining - this.sent.length))
    const at = this.now()
    const seeded = Array.from(
      { length: others },
      (_, j) => at - this.windowMs + ((j + 1) * this.windowMs) / (others + 1)
    )
    this.sent.push(...seeded)
    this.sent.sort((a, b) => a - b)
    this.schedule()
  }

  // Resolves when the call may go; rejects with BudgetExhaustedError if that would be after `deadline`.
  public take(deadline: number): Promise<void> {
    if (this.waiting.length === 0 && this.readyAt() <= this.now()) {
      this.record()
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, deadline, since: this.now() })
      this.schedule()
    })
  }

  // HubSpot's view of the shared window after a call. Nearly nothing left: other processes are
  // busy, so the share shrinks and calls are spaced out; a tenth or more left: the share grows back.
  public observe(remaining: number | undefined, max: number | undefined): void {
    this.learn(remaining, max)
    if (remaining === undefined || !Number.isFinite(remaining)) return
    const full = max ?? this.limit()
    const slotMs = this.windowMs / Math.max(1, full)
    const reserve = Math.max(2, Math.ceil(full * 0.02))

    if (remaining <= reserve) {
      // HubSpot counts calls on arrival, this window on departure: a few more on its side are this
      // process's own in flight. Well more are other processes'.
      this.prune()
      if (full - remaining - this.sent.length > Math.max(3, full * 0.05)) this.shrink(0.75)
      this.pause(slotMs * (reserve - remaining + 1))
      return
    }
    if (remaining > full * 0.1) this.grow(slotMs)
  }

  // An answer that was not a 429, from a limit HubSpot reports no Remaining for (CRM search's own
  // per-second limit): the limit had room for this call, so the share grows back as observe() grows
  // it. Without this, a search share halved by a SECONDLY 429 would never grow back.
  public answered(): void {
    this.learn(undefined, undefined)
    this.grow(this.windowMs / Math.max(1, this.limit()))
  }

  // Additive increase: one call of share at a time, at most once every two slots of the window.
  private grow(slotMs: number): void {
    if (this.share === undefined || this.now() - Math.max(this.shrunkAt, this.grownAt) < 2 * slotMs) return
    this.share += 1
    this.grownAt = this.now()
    if (this.share >= this.limit()) this.share = undefined
  }

  // A 429 all the same (other processes, another app of the portal): the share halves, and nothing
  // goes out until a few slots of the window have passed.
  public rateLimited(): void {
    this.learn(undefined, undefined)
    this.shrink(0.5)
    this.pause((this.windowMs / Math.max(1, this.limit())) * 4)
  }

  // Many answers tell of the same crowding: the share shrinks at most once a second (growing back
  // in between does not delay the next cut).
  private shrink(factor: number): void {
    if (this.share !== undefined && this.now() - this.shrunkAt < 1_000) return
    const floor = Math.max(1, Math.ceil(this.limit() * 0.1))
    this.share = Math.max(floor, Math.floor(this.currentLimit() * factor))
    this.shrunkAt = this.now()
  }

  private currentLimit(): number {
    return Math.max(1, Math.min(this.limit(), this.share ?? Infinity))
  }

  private pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + Math.round(ms))
    this.schedule()
  }

  // A call stays in the window a little longer than HubSpot keeps it, for the time it takes to arrive.
  private prune(): void {
    const horizon = this.now() - this.windowMs - WINDOW_SLACK_MS
    while (this.sent.length > 0 && this.sent[0]! <= horizon) this.sent.shift()
  }

  private readyAt(): number {
    this.prune()
    const limit = this.currentLimit()
    const room =
      this.sent.length < limit ? this.now() : this.sent[this.sent.length - limit]! + this.windowMs + WINDOW_SLACK_MS
    const probed =
      this.probing?.since !== undefined && this.sent.length >= PROBES ? this.probing.since + PROBE_WAIT_MS : 0
    return Math.max(room, this.pausedUntil, probed)
  }

  private record(): void {
    if (this.probing && this.probing.since === undefined) this.probing.since = this.now()
    this.sent.push(this.now())
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.release()
    if (this.waiting.length === 0) return
    this.timer = setTimeout(() => this.schedule(), Math.max(1, this.readyAt() - this.now()))
    this.timer.unref?.()
  }

  // Waiters go in arrival order; one whose deadline comes before its turn is refused at once, so
  // its caller can fall back (the outbox, a redelivery) instead of waiting in vain.
  private release(): void {
    for (const late of this.waiting.filter((waiter) => waiter.deadline < this.now())) {
      this.waiting.splice(this.waiting.indexOf(late), 1)
      late.reject(new BudgetExhaustedError(this.now() - late.since))
    }
    while (this.waiting.length > 0) {
      const at = this.readyAt()
      const head = this.waiting[0]!
      if (at > head.deadline) {
        this.waiting.shift()
        head.reject(new BudgetExhaustedError(this.now() - head.since))
        continue
      }
      if (at > this.now()) return
      this.waiting.shift()
      this.record()
      head.resolve()
    }
  }
}

// A budget holds what the portal's window holds: kept while the process lives, a bounded number.
const budgets = processCache<CallBudget>('call budgets', { maxEntries: 1_000, ttlMs: Number.POSITIVE_INFINITY })

// One budget per portal and kind, shared by every installation of the process on that portal.
export const budgetFor = (key: string, make: () => CallBudget): CallBudget => {
  let budget = budgets.get(key)
  if (!budget) {
    budget = make()
    budgets.set(key, budget)
  }
  return budget
}
