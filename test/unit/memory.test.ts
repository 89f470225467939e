// Process memory: one kind of store, bounded in size and time, emptied at once.
import { describe, expect, it, vi } from 'vitest'
import { processCache, resetProcessMemory } from '../../src/memory'

describe('process memory', () => {
  it('forgets an entry once its time is up', () => {
    vi.useFakeTimers()
    try {
      const cache = processCache<string>('test: ttl', { maxEntries: 10, ttlMs: 1_000 })
      cache.set('a', 'first')
      vi.advanceTimersByTime(999)
      expect(cache.get('a')).toBe('first')
      vi.advanceTimersByTime(1)
      expect(cache.get('a')).toBeUndefined()
      expect(cache.size).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('drops the oldest entry when full, and a replaced entry counts as new', () => {
    const cache = processCache<number>('test: size', { maxEntries: 3, ttlMs: Number.POSITIVE_INFINITY })
    for (const [key, value] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const) {
      cache.set(key, value)
    }
    cache.set('a', 10)
    cache.set('d', 4)
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([10, undefined, 3, 4])
  })

  it('gives one store per name, forgets by prefix, and is emptied all at once', () => {
    const first = processCache<string>('test: shared', { maxEntries: 10, ttlMs: Number.POSITIVE_INFINITY })
    expect(processCache<string>('test: shared', { maxEntries: 1, ttlMs: 1 })).toBe(first)
    first.set('install-1:x', 'x')
    first.set('install-2:y', 'y')
    first.deleteWhere('install-1:')
    expect([first.has('install-1:x'), first.has('install-2:y')]).toEqual([false, true])
    resetProcessMemory()
    expect(first.size).toBe(0)
  })
})
