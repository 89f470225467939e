// A HubSpot thread's timeline as the agent's replies need it: read newest first until a message is
// found, and put back in the order things happened.
import * as env from '../env'
import { HubSpotApiError } from '../hubspot/api-error'
import { listThreadMessages } from '../hubspot/conversations'
import type { Message, ThreadEntry } from '../hubspot/schemas'
import { processCache } from '../memory'
import type { Deps } from './context'

const TIMELINE_PAGES = 5
// Newest first, the message and the few before it are on the first small page.
const TIMELINE_PAGE_SIZE = 25

export const isMessage = (entry: ThreadEntry): entry is Message => entry.type === 'MESSAGE' && 'direction' in entry

export const time = (iso: string | undefined) => (iso ? Date.parse(iso) : 0)

export const isClose = (entry: ThreadEntry) =>
  entry.type === 'THREAD_STATUS_CHANGE' && (entry as { newStatus?: string }).newStatus === 'CLOSED'

// Newest first finds the message on the first page of a long thread; a HubSpot that refuses the
// sort parameter is asked again without it (oldest first, paging on), and not asked with it again
// for an hour.
const sortRefused = processCache<true>('timeline sort refused', { maxEntries: 100, ttlMs: 60 * 60_000 })

const readTimelinePage = async (deps: Deps, threadId: string, after: string | undefined) => {
  if (!sortRefused.has(env.hubspotApiUrl())) {
    try {
      return {
        newestFirst: true,
        ...(await listThreadMessages(deps.hubspot, threadId, { after, limit: TIMELINE_PAGE_SIZE, newestFirst: true })),
      }
    } catch (error) {
      if (!(error instanceof HubSpotApiError && error.status === 400)) throw error
      sortRefused.set(env.hubspotApiUrl(), true)
    }
  }
  return { newestFirst: false, ...(await listThreadMessages(deps.hubspot, threadId, { after, limit: 100 })) }
}

// Oldest first, in HubSpot's order: entries of the same millisecond keep the order HubSpot listed
// them in. The listing's direction is read from the data when times differ.
export const chronological = (entries: ThreadEntry[], listedNewestFirst: boolean): ThreadEntry[] => {
  let newestFirst = listedNewestFirst
  for (let i = 0; i + 1 < entries.length; i++) {
    const [a, b] = [time(entries[i]!.createdAt), time(entries[i + 1]!.createdAt)]
    if (a !== b) {
      newestFirst = a > b
      break
    }
  }
  const listed = newestFirst ? [...entries].reverse() : entries
  return listed
    .map((entry, index) => ({ entry, index }))
    .sort((x, y) => time(x.entry.createdAt) - time(y.entry.createdAt) || x.index - y.index)
    .map(({ entry }) => entry)
}

// The thread's recent timeline, read until `untilId` is found (one page when none is named).
export const readTimeline = async (deps: Deps, threadId: string, untilId?: string): Promise<ThreadEntry[]> => {
  const entries: ThreadEntry[] = []
  let after: string | undefined
  let newestFirst = true
  for (let page = 0; page < TIMELINE_PAGES; page++) {
    const result = await readTimelinePage(deps, threadId, after)
    newestFirst = result.newestFirst
    entries.push(...result.results)
    if (!untilId || entries.some((entry) => entry.id === untilId) || !result.nextAfter) break
    after = result.nextAfter
  }
  return chronological(entries, newestFirst)
}
