// Conversations API (v3 until a dated version leaves beta, see versions.ts): threads, their timeline, actors and inboxes (bearer).
import { conversationsApiVersion } from '../env'
import type { HubSpotHttp } from './http'
import { collectPages } from './paging'
import { actorSchema, inboxListSchema, threadMessagesSchema, threadSchema, type Actor, type Inbox, type Thread, type ThreadEntry } from './schemas'
import { conversationsBase } from './versions'

// Read on every call, so a test can run a session on another version.
const base = (): string => conversationsBase(conversationsApiVersion())

export const setThreadStatus = (http: HubSpotHttp, threadId: string, status: 'OPEN' | 'CLOSED'): Promise<Thread> =>
  http.send({ method: 'PATCH', path: `${base()}/threads/${threadId}`, auth: 'bearer', json: { status }, schema: threadSchema })

export const getThread = (http: HubSpotHttp, threadId: string): Promise<Thread> =>
  http.send({ method: 'GET', path: `${base()}/threads/${threadId}`, auth: 'bearer', schema: threadSchema })

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
  http.send({ method: 'GET', path: `${base()}/actors/${encodeURIComponent(actorId)}`, auth: 'bearer', schema: actorSchema })

export const listInboxes = (http: HubSpotHttp): Promise<Inbox[]> =>
  collectPages((after) =>
    http.send({ method: 'GET', path: `${base()}/inboxes`, auth: 'bearer', query: { limit: 100, after }, schema: inboxListSchema })
  )
