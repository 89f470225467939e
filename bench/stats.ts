// Latency summaries: nearest-rank percentiles over the samples of one operation.

export type LatencySummary = { samples: number; p50Ms: number; p99Ms: number; meanMs: number; maxMs: number }

const roundTo = (value: number, decimals: number): number => {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}

export const percentile = (sortedAscending: number[], fraction: number): number => {
  if (sortedAscending.length === 0) return Number.NaN
  const rank = Math.max(1, Math.ceil(fraction * sortedAscending.length))
  return sortedAscending[Math.min(rank, sortedAscending.length) - 1]!
}

export const summarise = (durationsMs: number[]): LatencySummary => {
  const sorted = [...durationsMs].sort((a, b) => a - b)
  const total = sorted.reduce((sum, value) => sum + value, 0)
  return {
    samples: sorted.length,
    p50Ms: roundTo(percentile(sorted, 0.5), 2),
    p99Ms: roundTo(percentile(sorted, 0.99), 2),
    meanMs: roundTo(sorted.length ? total / sorted.length : Number.NaN, 2),
    maxMs: roundTo(sorted.at(-1) ?? Number.NaN, 2),
  }
}

export const round2 = (value: number): number => roundTo(value, 2)
