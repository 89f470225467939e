import { z } from 'zod'
import { invalidPayload, notFound } from './errors'
import { RouteTable } from './route-table'
import { STATE_TYPES, visibleTo, type BotpressStore, type FileOwner, type StoredFile, type StoredState } from './store'

/** A parsed, authenticated runtime API request. */
export type ApiRequest = {
  method: string
  params: Record<string, string>
  /** Query string parsed with qs (`allowDots`), so `tags.x=1` and `tags[x]=1` both give `{ tags: { x: '1' } }`. */
  query: Record<string, unknown>
  body: unknown
  botId: string
  integrationId?: string
  /** Name given to what the integration creates (its alias when a driver is connected). */
  integrationName?: string
}

export type ApiResult = {
  status?: number
  body: unknown
}

export type ApiHandler = (req: ApiRequest) => ApiResult

export type RuntimeApiContext = {
  store: BotpressStore
  /** Base URL of the stand-in, for the upload and download URLs of files. */
  baseUrl: () => string
  pageSize: number
}

const tagsSchema = z.record(z.string(), z.string())
const jsonObjectSchema = z.record(z.string(), z.unknown())
const stringArray = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]))
const sortDirection = z.enum(['asc', 'desc']).optional()
const dateField = z.enum(['createdAt', 'updatedAt']).optional()
const pageQuery = { nextToken: z.string().optional() }
const dateRangeQuery = { afterDate: z.string().optional(), beforeDate: z.string().optional() }

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, where: string): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
  throw invalidPayload(`Invalid ${where}: ${issues.join('; ')}`)
}

function paginate<T>(items: T[], nextToken: string | undefined, pageSize: number): { page: T[]; nextToken?: string } {
  const offset = nextToken === undefined ? 0 : Number(Buffer.from(nextToken, 'base64url').toString('utf8'))
  if (!Number.isInteger(offset) || offset < 0) throw invalidPayload(`Invalid nextToken ${nextToken}`)
  const page = items.slice(offset, offset + pageSize)
  const next = offset + pageSize
  return next < items.length ? { page, nextToken: Buffer.from(String(next)).toString('base64url') } : { page }
}

export function stateJson(state: StoredState): Record<string, unknown> {
  const { resourceId: _resourceId, expiresAt: _expiresAt, expiryMs: _expiryMs, ...json } = state
  return json
}

export function fileJson(file: StoredFile, baseUrl: string): Record<string, unknown> {
  const { content: _content, uploadToken: _uploadToken, ...json } = file
  return { ...json, url: fileDownloadUrl(file, baseUrl) }
}

export const fileDownloadUrl = (file: StoredFile, baseUrl: string): string =>
  `${baseUrl}/files/content/${encodeURIComponent(file.id)}/${encodeURIComponent(file.key)}`

export const fileUploadUrl = (file: StoredFile, baseUrl: string): string =>
  `${baseUrl}/files/upload/${encodeURIComponent(file.id)}?token=${file.uploadToken}`

const direction = (req: ApiRequest): 'incoming' | 'outgoing' => (req.integrationId ? 'incoming' : 'outgoing')

const stateParams = z.object({ type: z.enum(STATE_TYPES), id: z.string().min(1), name: z.string().min(1) })

/** The routes of the Botpress runtime API an integration calls, all answered from the store. */
export function createRuntimeApi({ store, baseUrl, pageSize }: RuntimeApiContext): RouteTable<ApiHandler> {
  const api = new RouteTable<ApiHandler>()
  const listed = <T>(key: string, items: T[], nextToken: string | undefined): ApiResult => {
    const { page, nextToken: next } = paginate(items, nextToken, pageSize)
    return { body: { [key]: page, meta: next === undefined ? {} : { nextToken: next } } }
  }
  const integrationOf = (req: ApiRequest, requested?: string): string =>
    req.integrationName ?? requested ?? req.integrationId ?? 'bot'
  // A bot's token reaches its own users, conversations, messages and events only (as in Botpress
  // Cloud): another bot's look as if they did not exist.
  const own = <T extends { botId?: string }>(req: ApiRequest, what: string, id: string, resource: T): T => {
    if (!visibleTo(resource, req.botId)) throw notFound(what, id)
    return resource
  }
  const ownUser = (req: ApiRequest, id: string) => own(req, 'User', id, store.getUser(id))
  const ownConversation = (req: ApiRequest, id: string) => own(req, 'Conversation', id, store.getConversation(id))
  const ownMessage = (req: ApiRequest, id: string) => {
    const message = store.getMessage(id)
    own(req, 'Message', id, store.conversations.get(message.conversationId) ?? {})
    return message
  }

  // Users

  const userFields = {
    tags: tagsSchema,
    name: z.string().optional(),
    pictureUrl: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    integrationName: z.string().optional(),
  }
  api.add('POST', '/v1/chat/users', (req) => {
    const body = parse(z.object(userFields), req.body, 'createUser body')
    return { body: { user: store.createUser({ ...body, botId: req.botId }) } }
  })
  api.add('POST', '/v1/chat/users/get-or-create', (req) => {
    const body = parse(
      z.object({ ...userFields, discriminateByTags: z.array(z.string()).optional() }),
      req.body,
      'getOrCreateUser body'
    )
    const { user, created } = store.getOrCreateUser({ ...body, botId: req.botId })
    return { body: { user, meta: { created } } }
  })
  api.add('GET', '/v1/chat/users/:id', (req) => ({ body: { user: ownUser(req, req.params.id) } }))
  api.add('PUT', '/v1/chat/users/:id', (req) => {
    const body = parse(
      z.object({
        tags: tagsSchema.optional(),
        name: z.string().nullable().optional(),
        pictureUrl: z.string().nullable().optional(),
        attributes: z.record(z.string(), z.string().nullable()).optional(),
      }),
      req.body,
      'updateUser body'
    )
    ownUser(req, req.params.id)
    return { body: { user: store.updateUser(req.params.id, body) } }
  })
  api.add('DELETE', '/v1/chat/users/:id', (req) => {
    ownUser(req, req.params.id)
    store.deleteUser(req.params.id)
    return { body: {} }
  })
  api.add('GET', '/v1/chat/users', (req) => {
    const query = parse(
      z.object({
        ...pageQuery,
        ...dateRangeQuery,
        tags: tagsSchema.optional(),
        conversationId: z.string().optional(),
        rangeField: dateField,
        sortField: dateField,
        sortDirection,
      }),
      req.query,
      'listUsers query'
    )
    return listed('users', store.listUsers({ ...query, botId: req.botId }), query.nextToken)
  })

  // Conversations

  const conversationFields = { channel: z.string().min(1), tags: tagsSchema, integrationName: z.string().optional() }
  api.add('POST', '/v1/chat/conversations', (req) => {
    const body = parse(z.object(conversationFields), req.body, 'createConversation body')
    const conversation = store.createConversation({
      ...body,
      integration: integrationOf(req, body.integrationName),
      botId: req.botId,
    })
    return { body: { conversation } }
  })
  api.add('POST', '/v1/chat/conversations/get-or-create', (req) => {
    const body = parse(
      z.object({ ...conversationFields, discriminateByTags: z.array(z.string()).optional() }),
      req.body,
      'getOrCreateConversation body'
    )
    const { conversation, created } = store.getOrCreateConversation({
      ...body,
      integration: integrationOf(req, body.integrationName),
      botId: req.botId,
    })
    return { body: { conversation, meta: { created } } }
  })
  api.add('GET', '/v1/chat/conversations/:id', (req) => ({
    body: { conversation: ownConversation(req, req.params.id) },
  }))
  api.add('PUT', '/v1/chat/conversations/:id', (req) => {
    const body = parse(
      z.object({ tags: tagsSchema.optional(), currentTaskId: z.string().optional() }),
      req.body,
      'updateConversation body'
    )
    ownConversation(req, req.params.id)
    return { body: { conversation: store.updateConversation(req.params.id, body) } }
  })
  api.add('DELETE', '/v1/chat/conversations/:id', (req) => {
    ownConversation(req, req.params.id)
    store.deleteConversation(req.params.id)
    return { body: {} }
  })
  api.add('GET', '/v1/chat/conversations', (req) => {
    const query = parse(
      z.object({
        ...pageQuery,
        ...dateRangeQuery,
        channel: z.string().optional(),
        tags: tagsSchema.optional(),
        integrationName: z.string().optional(),
        participantIds: stringArray.optional(),
        sortField: dateField,
        sortDirection,
      }),
      req.query,
      'listConversations query'
    )
    return listed('conversations', store.listConversations({ ...query, botId: req.botId }), query.nextToken)
  })

  // Messages

  const messageFields = {
    conversationId: z.string().min(1),
    userId: z.string().min(1),
    type: z.string().min(1),
    payload: jsonObjectSchema,
    tags: tagsSchema,
    schedule: z.object({ dateTime: z.string().optional(), delay: z.number().optional() }).optional(),
    origin: z.literal('synthetic').optional(),
  }
  api.add('POST', '/v1/chat/messages', (req) => {
    const body = parse(z.object(messageFields), req.body, 'createMessage body')
    ownConversation(req, body.conversationId)
    return { body: { message: store.createMessage({ ...body, direction: direction(req) }) } }
  })
  api.add('POST', '/v1/chat/messages/get-or-create', (req) => {
    const body = parse(
      z.object({ ...messageFields, discriminateByTags: z.array(z.string()).optional() }),
      req.body,
      'getOrCreateMessage body'
    )
    ownConversation(req, body.conversationId)
    const { message, created } = store.getOrCreateMessage({ ...body, direction: direction(req) })
    return { body: { message, meta: { created } } }
  })
  api.add('GET', '/v1/chat/messages/:id', (req) => ({ body: { message: ownMessage(req, req.params.id) } }))
  api.add('PUT', '/v1/chat/messages/:id', (req) => {
    const body = parse(
      z.object({ tags: tagsSchema, payload: jsonObjectSchema.optional() }),
      req.body,
      'updateMessage body'
    )
    ownMessage(req, req.params.id)
    return { body: { message: store.updateMessage(req.params.id, body) } }
  })
  api.add('DELETE', '/v1/chat/messages/:id', (req) => {
    ownMessage(req, req.params.id)
    store.deleteMessage(req.params.id)
    return { body: {} }
  })
  api.add('GET', '/v1/chat/messages', (req) => {
    const query = parse(
      z.object({ ...pageQuery, ...dateRangeQuery, conversationId: z.string().optional(), tags: tagsSchema.optional() }),
      req.query,
      'listMessages query'
    )
    return listed('messages', store.listMessages({ ...query, botId: req.botId }), query.nextToken)
  })

  // Events

  api.add('POST', '/v1/chat/events', (req) => {
    const body = parse(
      z.object({
        type: z.string().min(1),
        payload: jsonObjectSchema,
        schedule: z.object({ dateTime: z.string().optional(), delay: z.number().optional() }).optional(),
        conversationId: z.string().optional(),
        userId: z.string().optional(),
        messageId: z.string().optional(),
        workflowId: z.string().optional(),
      }),
      req.body,
      'createEvent body'
    )
    if (body.conversationId !== undefined) ownConversation(req, body.conversationId)
    return { body: { event: store.createEvent({ ...body, botId: req.botId }) } }
  })
  api.add('GET', '/v1/chat/events/:id', (req) => ({
    body: { event: own(req, 'Event', req.params.id, store.getEvent(req.params.id)) },
  }))
  api.add('GET', '/v1/chat/events', (req) => {
    const query = parse(
      z.object({
        ...pageQuery,
        type: z.string().optional(),
        conversationId: z.string().optional(),
        userId: z.string().optional(),
        messageId: z.string().optional(),
        status: z.enum(['pending', 'ignored', 'processed', 'failed', 'scheduled']).optional(),
      }),
      req.query,
      'listEvents query'
    )
    return listed('events', store.listEvents({ ...query, botId: req.botId }), query.nextToken)
  })

  // States

  const expiry = z.number().int().positive().nullable().optional()
  const stateOf = (req: ApiRequest) => {
    const { type, id, name } = parse(stateParams, req.params, 'state path')
    return { type, resourceId: id, name }
  }
  api.add('GET', '/v1/chat/states/:type/:id/:name', (req) => {
    const { type, resourceId, name } = stateOf(req)
    return { body: { state: stateJson(store.getState(type, resourceId, name)), meta: { cached: false } } }
  })
  api.add('POST', '/v1/chat/states/:type/:id/:name', (req) => {
    const body = parse(z.object({ payload: jsonObjectSchema.nullable(), expiry }), req.body, 'setState body')
    const state = store.setState({ ...stateOf(req), botId: req.botId, payload: body.payload, expiryMs: body.expiry })
    return { body: { state: stateJson(state) } }
  })
  api.add('POST', '/v1/chat/states/:type/:id/:name/get-or-set', (req) => {
    const body = parse(z.object({ payload: jsonObjectSchema, expiry }), req.body, 'getOrSetState body')
    const { state, created } = store.getOrSetState({
      ...stateOf(req),
      botId: req.botId,
      payload: body.payload,
      expiryMs: body.expiry,
    })
    return { body: { state: stateJson(state), meta: { cached: false, created } } }
  })
  api.add('PATCH', '/v1/chat/states/:type/:id/:name', (req) => {
    const body = parse(z.object({ payload: jsonObjectSchema }), req.body, 'patchState body')
    const { type, resourceId, name } = stateOf(req)
    return { body: { state: stateJson(store.patchState(type, resourceId, name, body.payload)) } }
  })
  api.add('POST', '/v1/chat/states/:type/:id/:name/expiry', (req) => {
    const body = parse(z.object({ expiry: z.number().int().positive().nullable() }), req.body, 'setStateExpiry body')
    const { type, resourceId, name } = stateOf(req)
    return { body: { state: stateJson(store.setStateExpiry(type, resourceId, name, body.expiry)) } }
  })

  // Integration

  api.add('POST', '/v1/chat/integrations/configure', (req) => {
    if (!req.integrationId) {
      throw invalidPayload('configureIntegration is for integrations: send the x-integration-id header')
    }
    const body = parse(
      z
        .object({ identifier: z.string().nullable().optional(), scheduleRegisterCall: z.string().optional() })
        .passthrough(),
      req.body,
      'configureIntegration body'
    )
    store.configureIntegration(req.integrationId, body)
    return { body: {} }
  })

  // Files

  api.add('PUT', '/v1/files', (req) => {
    const body = parse(
      z
        .object({
          key: z.string().min(1),
          size: z.number().int().nonnegative(),
          contentType: z.string().optional(),
          tags: tagsSchema.optional(),
          metadata: jsonObjectSchema.optional(),
          accessPolicies: z.array(z.enum(['integrations', 'public_content'])).optional(),
          index: z.boolean().optional(),
          expiresAt: z.string().optional(),
        })
        .passthrough(),
      req.body,
      'upsertFile body'
    )
    const owner: FileOwner = req.integrationId
      ? { type: 'integration', id: req.integrationId, ...(req.integrationName && { alias: req.integrationName }) }
      : { type: 'bot', id: req.botId }
    const file = store.upsertFile({ ...body, botId: req.botId, owner })
    return { body: { file: { ...fileJson(file, baseUrl()), uploadUrl: fileUploadUrl(file, baseUrl()) } } }
  })
  api.add('GET', '/v1/files/:id', (req) => ({ body: { file: fileJson(store.getFile(req.params.id), baseUrl()) } }))
  api.add('DELETE', '/v1/files/:id', (req) => {
    store.deleteFile(req.params.id)
    return { body: {} }
  })

  return api
}
