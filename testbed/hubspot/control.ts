// The stand-in's own HTTP control API under /_testbed (JSON, CORS-enabled for the sandbox page).
// Errors use HubSpot's envelope (400 VALIDATION_ERROR, 404 OBJECT_NOT_FOUND for an unknown thread or agent).
//
//   GET  /state                      app, portal, settings, inboxes, agents, contacts, channels, accounts,
//                                    threads, files (no bytes), tokens, app webhooks, fault and delivery counts
//   GET  /threads, /threads/:id      threads with integrationThreadId, customer and timeline
//   POST /threads/:id/assign         { actorId: 'A-111' | '111' | null }
//   POST /threads/:id/reply          { actorId, text?, richText?, files?: [{ name, contentType, base64, hidden? }] } → 201
//   POST /threads/:id/close, /reopen
//   POST /faults                     { api?: [{ method?, path?, pathRegex?, status, count?, retryAfterSeconds?,
//                                    policyName?, delayMs? }], latency?, expireAccessTokens?, revokeRefreshToken?,
//                                    webhooks?, clear? } (the semantics of StandInFaults in index.ts)
//   GET|DELETE /calls, /deliveries   the records / 204
//   PATCH /settings                  any of StandInSettings (state.ts)
//   PUT  /app-webhooks               { targetUrl, subscriptions?: [{ eventType, propertyName? }] }
//   POST /refresh-tokens             { scopes? } → 201 { refreshToken }
//   POST /project                    { files: { path: content } } → 201 { name, targetUrl } or 400 with every problem
//   POST /settle                     answers once no delivery is pending
import type { AgentControls } from './agent'
import { issueRefreshToken } from './auth'
import { notFound, validationError } from './errors'
import type { RequestMatch } from './faults'
import { jsonReply, noContent, parseBody, type Reply, type RequestContext } from './http'
import { threadView } from './inbox'
import {
  controlAppWebhooksSchema,
  controlProjectSchema,
  controlAssignSchema,
  controlFaultsSchema,
  controlRefreshTokenSchema,
  controlReplySchema,
  controlSettingsSchema,
  type ControlFaults,
} from './local-schemas'
import { ProjectUploadError } from './project'
import { RouteTable } from './router'
import { channelAccountView, channelView } from './routes/channels'
import type { SeedSubscription } from './seed'
import type { StandInState } from './state'

export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
}

export type ControlDependencies = {
  agent: AgentControls
  expireAccessTokens(): void
  revokeRefreshToken(token: string): void
  setAppWebhookTarget(targetUrl: string, subscriptions?: SeedSubscription[]): void
  uploadProject(files: Record<string, string>): { name: string; targetUrl?: string }
}

const toMatch = (input: { method?: string; path?: string; pathRegex?: string }): RequestMatch => {
  if (input.pathRegex === undefined) return { method: input.method, path: input.path }
  try {
    return { method: input.method, path: new RegExp(input.pathRegex) }
  } catch (error) {
    throw validationError(`pathRegex is not a valid regular expression: ${(error as Error).message}`)
  }
}

const threadWithTimeline = (state: StandInState, threadId: string) => {
  const thread = state.portal.threads.get(threadId)
  if (!thread) return undefined
  return {
    ...threadView(thread),
    integrationThreadId: thread.integrationThreadId ?? null,
    customer: thread.customer,
    messages: state.portal.timeline(thread.id),
  }
}

const applyFaults = (state: StandInState, deps: ControlDependencies, faults: ControlFaults): void => {
  if (faults.clear) state.faults.clear()
  for (const fault of faults.api) state.faults.inject({ ...fault, ...toMatch(fault) })
  if (faults.latency) state.faults.latency(faults.latency.ms, toMatch(faults.latency))
  if (faults.expireAccessTokens) deps.expireAccessTokens()
  if (faults.revokeRefreshToken) deps.revokeRefreshToken(faults.revokeRefreshToken)
  if (faults.webhooks) state.faults.webhooks(faults.webhooks)
}

const stateSnapshot = (state: StandInState) => ({
  url: state.baseUrl,
  app: state.app,
  portalId: state.portalId,
  settings: state.settings,
  inboxes: [...state.portal.inboxes.values()],
  agents: [...state.portal.agents.values()],
  contacts: [...state.portal.contacts.values()].map(({ searchableAt: _searchableAt, ...contact }) => contact),
  channels: [...state.portal.channels.values()].map((channel) => ({
    ...channelView(channel),
    archived: channel.archived,
  })),
  channelAccounts: [...state.portal.channelAccounts.values()].map(channelAccountView),
  threads: [...state.portal.threads.values()].map(threadView),
  files: [...state.portal.files.values()].map(({ data: _data, ...file }) => file),
  refreshTokens: [...state.portal.tokens.refresh.values()],
  appWebhookSettings: state.portal.appWebhookSettings,
  subscriptions: [...state.portal.subscriptions.values()],
  faultCount: state.faults.count,
  pendingApiFaults: state.faults.pendingApiFaults(),
  pendingDeliveries: state.dispatcher.pendingCount(),
})

export const createControlRoutes = (state: StandInState, deps: ControlDependencies): RouteTable => {
  const routes = new RouteTable()
  const route = (handler: (params: Record<string, string>, ctx: RequestContext) => Reply | Promise<Reply>) => ({
    auth: 'none' as const,
    handler: (ctx: RequestContext) => handler(ctx.params, ctx),
  })

  routes.add(
    'OPTIONS',
    ['/_testbed', '/_testbed/*'],
    route(() => noContent())
  )
  routes.add(
    'GET',
    '/_testbed/state',
    route(() => jsonReply(stateSnapshot(state)))
  )
  routes.add(
    'GET',
    '/_testbed/threads',
    route(() => jsonReply([...state.portal.threads.keys()].map((id) => threadWithTimeline(state, id))))
  )
  routes.add(
    'GET',
    '/_testbed/threads/:threadId',
    route((params) => {
      const thread = threadWithTimeline(state, params.threadId)
      if (!thread) throw notFound(`Thread ${params.threadId} does not exist in portal ${state.portalId}.`)
      return jsonReply(thread)
    })
  )
  routes.add(
    'POST',
    '/_testbed/threads/:threadId/assign',
    route((params, ctx) =>
      jsonReply(deps.agent.assign(params.threadId, parseBody(ctx, controlAssignSchema, 'assign request').actorId))
    )
  )
  routes.add(
    'POST',
    '/_testbed/threads/:threadId/reply',
    route((params, ctx) => {
      const input = parseBody(ctx, controlReplySchema, 'reply request')
      const files = input.files.map((file) => ({
        name: file.name,
        contentType: file.contentType,
        data: Buffer.from(file.base64, 'base64'),
        hidden: file.hidden,
      }))
      return jsonReply(
        deps.agent.reply(params.threadId, {
          actorId: input.actorId,
          text: input.text,
          richText: input.richText,
          files,
        }),
        201
      )
    })
  )
  routes.add(
    'POST',
    '/_testbed/threads/:threadId/close',
    route((params) => jsonReply(deps.agent.close(params.threadId)))
  )
  routes.add(
    'POST',
    '/_testbed/threads/:threadId/reopen',
    route((params) => jsonReply(deps.agent.reopen(params.threadId)))
  )
  routes.add(
    'POST',
    '/_testbed/faults',
    route((_params, ctx) => {
      applyFaults(state, deps, parseBody(ctx, controlFaultsSchema, 'faults request'))
      return jsonReply({ faultCount: state.faults.count, pendingApiFaults: state.faults.pendingApiFaults() })
    })
  )
  routes.add(
    'GET',
    '/_testbed/calls',
    route(() => jsonReply(state.calls))
  )
  routes.add(
    'DELETE',
    '/_testbed/calls',
    route(() => {
      state.calls.length = 0
      return noContent()
    })
  )
  routes.add(
    'GET',
    '/_testbed/deliveries',
    route(() => jsonReply(state.dispatcher.deliveries))
  )
  routes.add(
    'DELETE',
    '/_testbed/deliveries',
    route(() => {
      state.dispatcher.deliveries.length = 0
      return noContent()
    })
  )
  routes.add(
    'PATCH',
    '/_testbed/settings',
    route((_params, ctx) => {
      Object.assign(state.settings, parseBody(ctx, controlSettingsSchema, 'settings'))
      return jsonReply(state.settings)
    })
  )
  routes.add(
    'PUT',
    '/_testbed/app-webhooks',
    route((_params, ctx) => {
      const input = parseBody(ctx, controlAppWebhooksSchema, 'app webhooks')
      deps.setAppWebhookTarget(input.targetUrl, input.subscriptions)
      return jsonReply({
        settings: state.portal.appWebhookSettings,
        subscriptions: [...state.portal.subscriptions.values()],
      })
    })
  )
  routes.add(
    'POST',
    '/_testbed/project',
    route((_params, ctx) => {
      const { files } = parseBody(ctx, controlProjectSchema, 'project upload')
      try {
        return jsonReply(deps.uploadProject(files), 201)
      } catch (error) {
        if (error instanceof ProjectUploadError) {
          throw validationError(
            error.message,
            error.problems.map((message) => ({ message }))
          )
        }
        throw error
      }
    })
  )
  routes.add(
    'POST',
    '/_testbed/refresh-tokens',
    route((_params, ctx) => {
      const request = ctx.rawBody.length > 0 ? parseBody(ctx, controlRefreshTokenSchema, 'refresh token request') : {}
      return jsonReply({ refreshToken: issueRefreshToken(state, request).token }, 201)
    })
  )
  routes.add(
    'POST',
    '/_testbed/settle',
    route(async () => {
      await state.dispatcher.settle()
      return jsonReply({ pendingDeliveries: state.dispatcher.pendingCount() })
    })
  )
  return routes
}
