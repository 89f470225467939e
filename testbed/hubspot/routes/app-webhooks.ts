// The app's webhook settings API (developer key), on v3 and 2026-03: the target URL and the event
// subscriptions. HubSpot serves it for legacy public apps only ("can only be used with legacy public
// apps"); a project app's webhooks come from its project files, so here it is refused for one.
import { conflict, notFound, validationError } from '../errors'
import { withoutUndefined } from '../events'
import { noContent, nowIso, parseBody, respond, type Handler, type Reply, type RequestContext } from '../http'
import {
  subscriptionCreateSchema,
  subscriptionListSchema,
  subscriptionPatchSchema,
  subscriptionSchema,
  webhookSettingsSchema,
  webhookSettingsUpdateSchema,
} from '../local-schemas'
import type { SubscriptionRecord } from '../portal'
import type { RouteTable } from '../router'
import type { StandInState } from '../state'

export const addSubscription = (
  state: StandInState,
  input: { eventType: string; propertyName?: string; active: boolean }
): SubscriptionRecord => {
  const duplicate = [...state.portal.subscriptions.values()].find(
    (subscription) => subscription.eventType === input.eventType && subscription.propertyName === input.propertyName
  )
  if (duplicate) {
    throw conflict(
      `A subscription to ${input.eventType}${input.propertyName ? ` (${input.propertyName})` : ''} already exists: id ${duplicate.id}.`
    )
  }
  const createdAt = nowIso()
  const subscription: SubscriptionRecord = withoutUndefined({
    id: state.portal.nextId('subscription'),
    ...input,
    createdAt,
    updatedAt: createdAt,
  })
  state.portal.subscriptions.set(subscription.id, subscription)
  return subscription
}

const requireSubscription = (state: StandInState, ctx: RequestContext): SubscriptionRecord => {
  const subscription = state.portal.subscriptions.get(ctx.params.subscriptionId)
  if (!subscription) {
    throw notFound(`Subscription ${ctx.params.subscriptionId} does not exist for app ${state.app.appId}.`)
  }
  return subscription
}

const readSettings = (state: StandInState): Reply => {
  if (!state.portal.appWebhookSettings) throw notFound(`App ${state.app.appId} has no webhook settings yet.`)
  return respond(webhookSettingsSchema, state.portal.appWebhookSettings)
}

const updateSettings = (state: StandInState, ctx: RequestContext): Reply => {
  const input = parseBody(ctx, webhookSettingsUpdateSchema, 'webhook settings')
  const now = nowIso()
  state.portal.appWebhookSettings = {
    ...input,
    createdAt: state.portal.appWebhookSettings?.createdAt ?? now,
    updatedAt: now,
  }
  return respond(webhookSettingsSchema, state.portal.appWebhookSettings)
}

// How HubSpot answers for a project app is not documented; a 400 that says why is assumed.
const legacyAppsOnly =
  (state: StandInState, handler: Handler): Handler =>
  (ctx) => {
    if (state.settings.appKind === 'project') {
      throw validationError(
        `App ${state.app.appId} is a project app: the webhook settings API can only be used with legacy public apps. Configure webhooks in the project's webhooks-hsmeta.json and run hs project upload.`
      )
    }
    return handler(ctx)
  }

export const registerAppWebhookRoutes = (routes: RouteTable, state: StandInState): void => {
  const auth = 'developerKey' as const
  const at = (suffix: string) => ['/webhooks/v3/:appId', '/webhooks/2026-03/:appId'].map((prefix) => prefix + suffix)
  const add = (method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE', suffix: string, handler: Handler) =>
    routes.add(method, at(suffix), { auth, handler: legacyAppsOnly(state, handler) })
  add('GET', '/settings', () => readSettings(state))
  add('PUT', '/settings', (ctx) => updateSettings(state, ctx))
  add('DELETE', '/settings', () => {
    state.portal.appWebhookSettings = null
    return noContent()
  })
  add('GET', '/subscriptions', () =>
    respond(subscriptionListSchema, { results: [...state.portal.subscriptions.values()] })
  )
  add('POST', '/subscriptions', (ctx) =>
    respond(subscriptionSchema, addSubscription(state, parseBody(ctx, subscriptionCreateSchema, 'subscription')), 201)
  )
  add('GET', '/subscriptions/:subscriptionId', (ctx) => respond(subscriptionSchema, requireSubscription(state, ctx)))
  add('PATCH', '/subscriptions/:subscriptionId', (ctx) => {
    const subscription = requireSubscription(state, ctx)
    Object.assign(subscription, parseBody(ctx, subscriptionPatchSchema, 'subscription update'), { updatedAt: nowIso() })
    return respond(subscriptionSchema, subscription)
  })
  add('DELETE', '/subscriptions/:subscriptionId', (ctx) => {
    state.portal.subscriptions.delete(requireSubscription(state, ctx).id)
    return noContent()
  })
}
