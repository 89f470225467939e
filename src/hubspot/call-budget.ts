// HubSpot's rate limits are per portal: an OAuth app gets 110 calls per rolling 10 s, CRM search 5
// per second (hubspot-api.md §10). A burst that simply fires and retries on 429 spends part of the
// window on refusals and makes every retry later still; a budget that queues calls spends it on
// calls that succeed. Each process keeps a rolling window of what it sent per portal and lets a
// call go only when the window has room; HubSpot's own count of the shared window (the
// X-HubSpot-RateLimit-Remaining header, which sees every process) slows it down further.

export class BudgetExhaustedError extends Error {
  readonly name = 'BudgetExhaustedError'
  constructor(readonly waitedMs: number) {
    super(`HubSpot's rate limit for this portal leaves no room in time (waited ${waitedMs} ms)`)
  }
}

type Waiter = { resolve: () => void; reject: (error: Error) => void; deadline: number; since: number }

export class CallBudget {
  private readonly sent: number[] = []
  private readonly waiting: Waiter[] = []
  private pausedUntil = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly limit: () => number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now
  ) {}

  // Resolves when the call may go; rejects with BudgetExhaustedError if that would be after `deadline`.
  take(deadline: number): Promise<void> {
    if (this.waiting.length === 0 && this.readyAt() <= this.now()) {
      this.sent.push(this.now())
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, deadline, since: this.now() })
      this.schedule()
    })
  }

  // HubSpot's view of the shared window after a call: with little left, other processes are busy
  // too, so calls are spaced out until the window has turned over.
  observe(remaining: number | undefined, max: number | undefined): void {
    if (remaining === undefined || !Number.isFinite(remaining)) return
    const reserve = Math.max(2, Math.ceil((max ?? this.limit()) * 0.05))
    if (remaining > reserve) return
    const slotMs = this.windowMs / Math.max(1, max ?? this.limit())
    this.pause(slotMs * (reserve - remaining + 1))
  }

  // A 429 all the same (another app of the portal, a clock that disagrees): nothing goes out until
  // a slot's worth of the window has passed.
  rateLimited(): void {
    this.pause(this.windowMs / Math.max(1, this.limit()) * 4)
  }

  private pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + Math.round(ms))
    this.schedule()
  }

  private prune(): void {
    const horizon = this.now() - this.windowMs
    while (this.sent.length > 0 && this.sent[0]! <= horizon) this.sent.shift()
  }

  private readyAt(): number {
    this.prune()
    const room = this.sent.length < this.limit() ? this.now() : this.sent[this.sent.length - this.limit()]! + this.windowMs
    return Math.max(room, this.pausedUntil)
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
      this.sent.push(this.now())
      head.resolve()
    }
  }
}

const budgets = new Map<string, CallBudget>()

// One budget per portal and kind, shared by every installation of the process on that portal.
export const budgetFor = (key: string, make: () => CallBudget): CallBudget => {
  let budget = budgets.get(key)
  if (!budget) {
    budget = make()
    budgets.set(key, budget)
  }
  return budget
}
