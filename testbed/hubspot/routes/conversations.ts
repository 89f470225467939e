// Conversations v3: threads, their timelines, assignee, actors and inboxes.
import {
  actorSchema,
  inboxListSchema,
  inboxSchema,
  threadMessagesSchema,
  threadSchema,
  threadUpdateSchema,
  type Actor,
} from '../../../src/hubspot/schemas'
import { contactName } from '../crm'
import { notFound, validationError } from '../errors'
import { withoutUndefined } from '../events'
import { noContent, nowIso, paginate, parseBody, respond, type Reply, type RequestContext } from '../http'
import {
  archiveThread,
  assignThread,
  requireAgent,
  requireThread,
  restoreThread,
  setThreadStatus,
  threadView,
} from '../inbox'
import {
  actorBatchReadSchema,
  actorBatchResponseSchema,
  assigneeUpdateSchema,
  threadListSchema,
} from '../local-schemas'
import type { InboxRecord } from '../portal'
import { CONVERSATIONS_PREFIXES, under, type RouteTable } from '../router'
import type { StandInState } from '../state'

const READ = ['conversations.read', 'conversations.write']
const WRITE = ['conversations.write']

const inboxView = (inbox: InboxRecord) => ({ ...inbox })

const includeArchived = (ctx: RequestContext): boolean => ctx.query.get('archived') === 'true'

const listThreads = (state: StandInState, ctx: RequestContext): Reply => {
  const inboxId = ctx.query.get('inboxId')
  const status = ctx.query.get('threadStatus')
  const contactId = ctx.query.get('associatedContactId')
  const threads = [...state.portal.threads.values()].filter(
    (thread) =>
      thread.archived === includeArchived(ctx) &&
      (inboxId === null || thread.inboxId === inboxId) &&
      (status === null || thread.status === status) &&
      (contactId === null || thread.associatedContactId === contactId)
  )
  const { results, paging } = paginate(threads.map(threadView), ctx.query, { limit: 20, max: 500 })
  return respond(threadListSchema, withoutUndefined({ results, paging }))
}

const updateThread = (state: StandInState, ctx: RequestContext): Reply => {
  const thread = requireThread(state, ctx.params.threadId, { includeArchived: true })
  const update = parseBody(ctx, threadUpdateSchema, 'thread update')
  if (update.archived === true) archiveThread(state, thread)
  if (update.archived === false) restoreThread(state, thread)
  if (update.status) setThreadStatus(state, thread, update.status, 'API')
  return respond(threadSchema, threadView(thread))
}

const timeline = (state: StandInState, ctx: RequestContext): Reply => {
  const thread = requireThread(state, ctx.params.threadId, { includeArchived: includeArchived(ctx) })
  const sort = ctx.query.get('sort') ?? 'createdAt'
  if (sort !== 'createdAt' && sort !== '-createdAt') {
    throw validationError(`sort must be createdAt or -createdAt, got "${sort}"`)
  }
  const entries = state.portal.timeline(thread.id)
  if (sort === '-createdAt') entries.reverse()
  const { results, paging } = paginate(entries, ctx.query, { limit: 100, max: 500 })
  return respond(threadMessagesSchema, withoutUndefined({ results, paging }))
}

const timelineEntry = (state: StandInState, ctx: RequestContext): Reply => {
  const thread = requireThread(state, ctx.params.threadId, { includeArchived: true })
  const entry = state.portal.timeline(thread.id).find((candidate) => candidate.id === ctx.params.messageId)
  if (!entry) throw notFound(`Message ${ctx.params.messageId} does not exist in thread ${thread.id}.`)
  return respond(threadMessagesSchema.shape.results.element, entry)
}

// Actor ids: A-<userId> agents, V-<id> contacts and visitors, I-<appId> the integration.
const findActor = (state: StandInState, actorId: string): Actor | undefined => {
  if (actorId.startsWith('A-')) {
    const agent = state.portal.agents.get(actorId)
    return agent && { id: agent.actorId, type: 'AGENT', name: agent.name, email: agent.email, avatar: agent.avatar }
  }
  if (actorId.startsWith('V-')) {
    const id = actorId.slice(2)
    const contact = state.portal.contacts.get(id)
    if (contact) {
      return withoutUndefined({
        id: actorId,
        type: 'VISITOR',
        name: contactName(contact),
        email: contact.properties.email,
      })
    }
    const visitor = state.portal.visitors.get(id)
    const email =
      visitor?.deliveryIdentifier?.type === 'HS_EMAIL_ADDRESS' ? visitor.deliveryIdentifier.value : undefined
    return visitor && withoutUndefined({ id: actorId, type: 'VISITOR', name: visitor.name, email })
  }
  if (actorId === `I-${state.app.appId}`) {
    return { id: actorId, type: 'INTEGRATOR', name: 'Stand-in custom channel app' }
  }
  return undefined
}

const readActor = (state: StandInState, ctx: RequestContext): Reply => {
  const actor = findActor(state, ctx.params.actorId)
  if (!actor) throw notFound(`Actor ${ctx.params.actorId} does not exist in portal ${state.portalId}.`)
  return respond(actorSchema, actor)
}

const batchReadActors = (state: StandInState, ctx: RequestContext): Reply => {
  const startedAt = nowIso()
  const { inputs } = parseBody(ctx, actorBatchReadSchema, 'actor batch read')
  const unique = [...new Set(inputs)]
  const found = unique.map((id) => findActor(state, id)).filter((actor): actor is Actor => actor !== undefined)
  const missing = unique.filter((id) => !found.some((actor) => actor.id === id))
  const body = {
    status: 'COMPLETE' as const,
    results: found,
    ...(missing.length > 0
      ? {
          numErrors: 1,
          errors: [
            {
              status: 'error',
              category: 'OBJECT_NOT_FOUND',
              message: `Could not find actors: ${missing.join(', ')}`,
              context: { ids: missing },
            },
          ],
        }
      : {}),
    requestedAt: startedAt,
    startedAt,
    completedAt: nowIso(),
  }
  return respond(actorBatchResponseSchema, body, missing.length > 0 ? 207 : 200)
}

const setAssignee = (state: StandInState, ctx: RequestContext): Reply => {
  const thread = requireThread(state, ctx.params.threadId)
  const { actorId } = parseBody(ctx, assigneeUpdateSchema, 'assignee')
  assignThread(state, thread, requireAgent(state, actorId), 'API')
  return respond(threadSchema, threadView(thread))
}

export const registerConversationRoutes = (routes: RouteTable, state: StandInState): void => {
  const at = (suffix: string) => under(CONVERSATIONS_PREFIXES, suffix)
  routes.add('GET', at('/threads'), { auth: 'bearer', scopes: READ, handler: (ctx) => listThreads(state, ctx) })
  routes.add('GET', at('/threads/:threadId'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) =>
      respond(
        threadSchema,
        threadView(requireThread(state, ctx.params.threadId, { includeArchived: includeArchived(ctx) }))
      ),
  })
  routes.add('PATCH', at('/threads/:threadId'), {
    auth: 'bearer',
    scopes: WRITE,
    handler: (ctx) => updateThread(state, ctx),
  })
  routes.add('DELETE', at('/threads/:threadId'), {
    auth: 'bearer',
    scopes: WRITE,
    handler: (ctx) => {
      archiveThread(state, requireThread(state, ctx.params.threadId))
      return noContent()
    },
  })
  routes.add('GET', at('/threads/:threadId/messages'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) => timeline(state, ctx),
  })
  routes.add('GET', at('/threads/:threadId/messages/:messageId'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) => timelineEntry(state, ctx),
  })
  routes.add('PUT', at('/threads/:threadId/assignee'), {
    auth: 'bearer',
    scopes: WRITE,
    handler: (ctx) => setAssignee(state, ctx),
  })
  routes.add('DELETE', at('/threads/:threadId/assignee'), {
    auth: 'bearer',
    scopes: WRITE,
    handler: (ctx) => {
      assignThread(state, requireThread(state, ctx.params.threadId), null, 'API')
      return noContent()
    },
  })
  routes.add('GET', at('/actors/:actorId'), { auth: 'bearer', scopes: READ, handler: (ctx) => readActor(state, ctx) })
  routes.add('POST', at('/actors/batch/read'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) => batchReadActors(state, ctx),
  })
  routes.add('GET', at('/inboxes'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) =>
      respond(
        inboxListSchema,
        paginate([...state.portal.inboxes.values()].map(inboxView), ctx.query, { limit: 100, max: 500 })
      ),
  })
  routes.add('GET', at('/inboxes/:inboxId'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) => {
      const inbox = state.portal.inboxes.get(ctx.params.inboxId)
      if (!inbox) throw notFound(`Inbox ${ctx.params.inboxId} does not exist in portal ${state.portalId}.`)
      return respond(inboxSchema, inboxView(inbox))
    },
  })
}
