// Pure measurements for the load run: what was sent and what arrived, per session and direction,
// turned into lost / duplicated / out-of-order counts and latency percentiles.

export type Direction = 'customerToAgent' | 'agentToCustomer'

// One message a side sent: its unique mark, and when it was sent.
export type Sent = { mark: string; sentAt: number }
// One copy of a message seen on the other side, in the order the other side shows them.
export type Arrival = { mark: string; at: number }

export type StreamResult = {
  sent: number
  delivered: number
  lost: number
  duplicated: number
  outOfOrder: number
  latenciesMs: number[]
}

// Length of the longest strictly increasing subsequence (patience sorting, O(n log n)).
export const longestIncreasingRun = (values: number[]): number => {
  const tails: number[] = []
  for (const value of values) {
    let lo = 0
    let hi = tails.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (tails[mid]! < value) lo = mid + 1
      else hi = mid
    }
    tails[lo] = value
  }
  return tails.length
}

// One session, one direction. Out of order = the fewest delivered messages that must be moved for
// the other side's order to match the sending order (delivered minus the longest run already in
// order), counting first copies only; duplicates are counted apart.
export const measureStream = (sent: Sent[], arrivals: Arrival[]): StreamResult => {
  const index = new Map(sent.map((message, i) => [message.mark, i]))
  const firstSeen = new Map<string, number>()
  const copies = new Map<string, number>()
  const order: number[] = []
  for (const arrival of arrivals) {
    const i = index.get(arrival.mark)
    if (i === undefined) continue
    copies.set(arrival.mark, (copies.get(arrival.mark) ?? 0) + 1)
    if (!firstSeen.has(arrival.mark)) {
      firstSeen.set(arrival.mark, arrival.at)
      order.push(i)
    }
  }
  const delivered = firstSeen.size
  const latenciesMs = sent
    .filter((m) => firstSeen.has(m.mark))
    .map((m) => Math.max(0, firstSeen.get(m.mark)! - m.sentAt))
  return {
    sent: sent.length,
    delivered,
    lost: sent.length - delivered,
    duplicated: [...copies.values()].reduce((sum, n) => sum + (n - 1), 0),
    outOfOrder: delivered - longestIncreasingRun(order),
    latenciesMs,
  }
}

// Nearest-rank percentile.
export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export type Totals = Omit<StreamResult, 'latenciesMs'> & { p50Ms: number; p99Ms: number; maxMs: number }

export const total = (results: StreamResult[]): Totals => {
  const latencies = results.flatMap((r) => r.latenciesMs)
  return {
    sent: sum(results.map((r) => r.sent)),
    delivered: sum(results.map((r) => r.delivered)),
    lost: sum(results.map((r) => r.lost)),
    duplicated: sum(results.map((r) => r.duplicated)),
    outOfOrder: sum(results.map((r) => r.outOfOrder)),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? Math.max(...latencies) : 0,
  }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

export type EventResult = { expected: number; emitted: number; lost: number; duplicated: number; outOfOrder: number }

// One session's events against the ones it should have had, in that order. Per type: lost = fewer
// than expected, duplicated = more; out of order = an event whose first copy came before the first
// copy of an event expected earlier.
export const measureEvents = (expected: string[], emitted: string[]): Record<string, EventResult> => {
  const types = [...new Set([...expected, ...emitted])]
  const firstAt = (type: string) => emitted.indexOf(type)
  return Object.fromEntries(
    types.map((type) => {
      const want = expected.filter((t) => t === type).length
      const got = emitted.filter((t) => t === type).length
      const position = expected.indexOf(type)
      const misplaced =
        got > 0 &&
        position >= 0 &&
        expected.slice(0, position).some((earlier) => firstAt(earlier) === -1 || firstAt(earlier) > firstAt(type))
      return [
        type,
        {
          expected: want,
          emitted: got,
          lost: Math.max(0, want - got),
          duplicated: Math.max(0, got - want),
          outOfOrder: misplaced ? 1 : 0,
        },
      ]
    })
  )
}

export const totalEvents = (results: Record<string, EventResult>[]): Record<string, EventResult> => {
  const totals: Record<string, EventResult> = {}
  for (const result of results) {
    for (const [type, r] of Object.entries(result)) {
      const t = (totals[type] ??= { expected: 0, emitted: 0, lost: 0, duplicated: 0, outOfOrder: 0 })
      t.expected += r.expected
      t.emitted += r.emitted
      t.lost += r.lost
      t.duplicated += r.duplicated
      t.outOfOrder += r.outOfOrder
    }
  }
  return totals
}
