import { describe, expect, it } from 'vitest'
import { chronological } from '../../src/hitl/timeline'
import type { ThreadEntry } from '../../src/hubspot/schemas'

const entry = (id: string, ms: number): ThreadEntry => ({
  id,
  type: 'THREAD_STATUS_CHANGE',
  newStatus: 'OPEN',
  createdAt: new Date(ms).toISOString(),
})
const ids = (entries: ThreadEntry[]) => entries.map((e) => e.id)

describe('[dedupe] thread timeline order', () => {
  it.each<[string, ThreadEntry[], boolean, string[]]>([
    ['newest first, as asked', [entry('c', 3), entry('b', 2), entry('a', 1)], true, ['a', 'b', 'c']],
    [
      'oldest first although newest was asked (sort ignored)',
      [entry('a', 1), entry('b', 2), entry('c', 3)],
      true,
      ['a', 'b', 'c'],
    ],
    ['same millisecond, listed newest first', [entry('c', 5), entry('b', 5), entry('a', 5)], true, ['a', 'b', 'c']],
    ['same millisecond, listed oldest first', [entry('a', 5), entry('b', 5), entry('c', 5)], false, ['a', 'b', 'c']],
    [
      'ties inside a newest-first page',
      [entry('d', 9), entry('c', 5), entry('b', 5), entry('a', 1)],
      true,
      ['a', 'b', 'c', 'd'],
    ],
  ])('%s', (_name, entries, listedNewestFirst, expected) => {
    expect(ids(chronological(entries, listedNewestFirst))).toEqual(expected)
  })
})
