import { describe, expect, it } from 'vitest'
import { measureEvents, measureStream, totalEvents } from '../../bench/load-metrics'

const EXPECTED = ['hitlAssigned', 'hitlStopped']

describe('load metrics', () => {
  it.each([
    { emitted: ['hitlAssigned', 'hitlStopped'], assigned: [0, 0, 0], stopped: [0, 0, 0] },
    { emitted: ['hitlAssigned'], assigned: [0, 0, 0], stopped: [1, 0, 0] },
    { emitted: ['hitlAssigned', 'hitlAssigned', 'hitlStopped'], assigned: [0, 1, 0], stopped: [0, 0, 0] },
    { emitted: ['hitlStopped', 'hitlAssigned'], assigned: [0, 0, 0], stopped: [0, 0, 1] },
    { emitted: ['hitlStopped'], assigned: [1, 0, 0], stopped: [0, 0, 1] },
    { emitted: ['hitlAssigned', 'hitlStopped', 'hitlStopped'], assigned: [0, 0, 0], stopped: [0, 1, 0] },
  ])('events $emitted: [lost, duplicated, outOfOrder] per type', ({ emitted, assigned, stopped }) => {
    const result = measureEvents(EXPECTED, emitted)
    const triple = (type: string) => [result[type]!.lost, result[type]!.duplicated, result[type]!.outOfOrder]
    expect(triple('hitlAssigned')).toEqual(assigned)
    expect(triple('hitlStopped')).toEqual(stopped)
  })

  it('adds sessions up per event type', () => {
    const totals = totalEvents([measureEvents(EXPECTED, EXPECTED), measureEvents(EXPECTED, ['hitlAssigned'])])
    expect(totals.hitlAssigned).toEqual({ expected: 2, emitted: 2, lost: 0, duplicated: 0, outOfOrder: 0 })
    expect(totals.hitlStopped).toEqual({ expected: 2, emitted: 1, lost: 1, duplicated: 0, outOfOrder: 0 })
  })

  it('counts messages lost, doubled and moved', () => {
    const sent = ['a', 'b', 'c', 'd'].map((mark, i) => ({ mark, sentAt: i }))
    const result = measureStream(
      sent,
      ['b', 'a', 'a', 'c'].map((mark, i) => ({ mark, at: 10 + i }))
    )
    expect(result).toMatchObject({ sent: 4, delivered: 3, lost: 1, duplicated: 1, outOfOrder: 1 })
  })
})
