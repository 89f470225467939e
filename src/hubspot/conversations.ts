// Conversations API (v3 until a dated version leaves beta, see versions.ts): threads, their timeline, actors and inboxes (bearer).
import { conversationsApiVersion } from '../env'
import { HubSpotApiError } from './api-error'
import type { HubSpotHttp } from './http'
import { collectPages } from './paging'
import {
  actorSchema,
  inboxListSchema,
  threadMessagesSchema,
  threadSchema,
  type Actor,
  type Inbox,
  type Thread,
  type ThreadEntry,
} from './schemas'
import { conversationsBase } from './versions'

// Read on every call, so a test can run a session on another version.
const base = (): string => conversationsBase(conversationsApiVersion())

export const setThreadStatus = (http: HubSpotHttp, threadId: string, status: 'OPEN' | 'CLOSED'): Promise<Thread> =>
  http.send({
    method: 'PATCH',
    path: `${base()}/threads/${threadId}`,
    auth: 'bearer',
    json: { status },
    schema: threadSchema,
  })

// HubSpot answers 404 for an archived (deleted) thread unless archived=true is asked for.
export const getThread = (http: HubSpotHttp, threadId: string, options: { archived?: boolean } = {}): Promise<Thread> =>
  http.send({
    method: 'GET',
    path: `${base()}/threads/${threadId}`,
    auth: 'bearer',
    query: { archived: options.archived || undefined },
    schema: threadSchema,
  })

// A thread whether or not it is archived: read as it is, then with archived=true when HubSpot says
// it does not exist. HubSpot documents archived=true, elsewhere, as "only results that have been
// archived"; whether the single read returns a live thread with it is not documented, so a live
// thread is never asked for with it (one read), and an archived one costs two.
export const getThreadEvenArchived = async (http: HubSpotHttp, threadId: string): Promise<Thread> => {
  try {
    return await getThread(http, threadId)
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 404) return getThread(http, threadId, { archived: true })
    throw error
  }
}

export type ThreadPage = { results: ThreadEntry[]; nextAfter?: string }

export const listThreadMessages = async (
  http: HubSpotHttp,
  threadId: string,
  options: { after?: string; limit?: number; newestFirst?: boolean }
): Promise<ThreadPage> => {
  const page = await http.send({
    method: 'GET',
    path: `${base()}/threads/${threadId}/messages`,
    auth: 'bearer',
    query: { limit: options.limit ?? 100, after: options.after, sort: options.newestFirst ? '-createdAt' : undefined },
    schema: threadMessagesSchema,
  })
  return { results: page.results, nextAfter: page.paging?.next?.after }
}

export const getActor = (http: HubSpotHttp, actorId: string): Promise<Actor> =>
  http.send({
    method: 'GET',
    path: `${base()}/actors/${encodeURIComponent(actorId)}`,
    auth: 'bearer',
    schema: actorSchema,
  })

export const listInboxes = (http: HubSpotHttp): Promise<Inbox[]> =>
  collectPages((after) =>
    http.send({
      method: 'GET',
      path: `${base()}/inboxes`,
      auth: 'bearer',
      query: { limit: 100, after },
      schema: inboxListSchema,
    })
  )
