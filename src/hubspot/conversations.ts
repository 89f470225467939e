// Conversations API v3: threads, their timeline, actors and inboxes (bearer).
import type { HubSpotHttp } from './http'
import { collectPages } from './paging'
import { actorSchema, inboxListSchema, threadMessagesSchema, threadSchema, type Actor, type Inbox, type Thread, type ThreadEntry } from './schemas'

const BASE = '/conversations/v3/conversations'

export const setThreadStatus = (http: HubSpotHttp, threadId: string, status: 'OPEN' | 'CLOSED'): Promise<Thread> =>
  http.send({ method: 'PATCH', path: `${BASE}/threads/${threadId}`, auth: 'bearer', json: { status }, schema: threadSchema })

export type ThreadPage = { results: ThreadEntry[]; nextAfter?: string }

export const listThreadMessages = async (
  http: HubSpotHttp,
  threadId: string,
  options: { after?: string; limit?: number; newestFirst?: boolean }
): Promise<ThreadPage> => {
  const page = await http.send({
    method: 'GET',
    path: `${BASE}/threads/${threadId}/messages`,
    auth: 'bearer',
    query: { limit: options.limit ?? 100, after: options.after, sort: options.newestFirst ? '-createdAt' : undefined },
    schema: threadMessagesSchema,
  })
  return { results: page.results, nextAfter: page.paging?.next?.after }
}

export const getActor = (http: HubSpotHttp, actorId: string): Promise<Actor> =>
  http.send({ method: 'GET', path: `${BASE}/actors/${encodeURIComponent(actorId)}`, auth: 'bearer', schema: actorSchema })

export const listInboxes = (http: HubSpotHttp): Promise<Inbox[]> =>
  collectPages((after) =>
    http.send({ method: 'GET', path: `${BASE}/inboxes`, auth: 'bearer', query: { limit: 100, after }, schema: inboxListSchema })
  )
