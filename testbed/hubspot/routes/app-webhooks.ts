// Webhooks v3 of the app (developer key): the target URL and the event subscriptions.
import { conflict, notFound } from '../errors'
import { withoutUndefined } from '../events'
import { noContent, nowIso, parseBody, respond, type Reply, type RequestContext } from '../http'
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

export const addSubscription = (state: StandInState, input: { eventType: string; propertyName?: string; active: boolean }): SubscriptionRecord => {
  const duplicate = [...state.portal.subscriptions.values()].find(
    (subscription) => subscription.eventType === input.eventType && subscription.propertyName === input.propertyName
  )
  if (duplicate) throw conflict(`A subscription to ${input.eventType}${input.propertyName ? ` (${input.propertyName})` : ''} already exists: id ${duplicate.id}.`)
  const createdAt = nowIso()
  const subscription: SubscriptionRecord = withoutUndefined({ id: state.portal.nextId('subscription'), ...input, createdAt, updatedAt: createdAt })
  state.portal.subscriptions.set(subscription.id, subscription)
  return subscription
}

const requireSubscription = (state: StandInState, ctx: RequestContext): SubscriptionRecord => {
  const subscription = state.portal.subscriptions.get(ctx.params.subscriptionId)
  if (!subscription) throw notFound(`Subscription ${ctx.params.subscriptionId} does not exist for app ${state.app.appId}.`)
  return subscription
}

const readSettings = (state: StandInState): Reply => {
  if (!state.portal.appWebhookSettings) throw notFound(`App ${state.app.appId} has no webhook settings yet.`)
  return respond(webhookSettingsSchema, state.portal.appWebhookSettings)
}

const updateSettings = (state: StandInState, ctx: RequestContext): Reply => {
  const input = parseBody(ctx, webhookSettingsUpdateSchema, 'webhook settings')
  const now = nowIso()
  state.portal.appWebhookSettings = { ...input, createdAt: state.portal.appWebhookSettings?.createdAt ?? now, updatedAt: now }
  return respond(webhookSettingsSchema, state.portal.appWebhookSettings)
}

export const registerAppWebhookRoutes = (routes: RouteTable, state: StandInState): void => {
  const auth = 'developerKey' as const
  routes.add('GET', '/webhooks/v3/:appId/settings', { auth, handler: () => readSettings(state) })
  routes.add('PUT', '/webhooks/v3/:appId/settings', { auth, handler: (ctx) => updateSettings(state, ctx) })
  routes.add('DELETE', '/webhooks/v3/:appId/settings', {
    auth,
    handler: () => {
      state.portal.appWebhookSettings = null
      return noContent()
    },
  })
  routes.add('GET', '/webhooks/v3/:appId/subscriptions', {
    auth,
    handler: () => respond(subscriptionListSchema, { results: [...state.portal.subscriptions.values()] }),
  })
  routes.add('POST', '/webhooks/v3/:appId/subscriptions', {
    auth,
    handler: (ctx) => respond(subscriptionSchema, addSubscription(state, parseBody(ctx, subscriptionCreateSchema, 'subscription')), 201),
  })
  routes.add('GET', '/webhooks/v3/:appId/subscriptions/:subscriptionId', { auth, handler: (ctx) => respond(subscriptionSchema, requireSubscription(state, ctx)) })
  routes.add('PATCH', '/webhooks/v3/:appId/subscriptions/:subscriptionId', {
    auth,
    handler: (ctx) => {
      const subscription = requireSubscription(state, ctx)
      Object.assign(subscription, parseBody(ctx, subscriptionPatchSchema, 'subscription update'), { updatedAt: nowIso() })
      return respond(subscriptionSchema, subscription)
    },
  })
  routes.add('DELETE', '/webhooks/v3/:appId/subscriptions/:subscriptionId', {
    auth,
    handler: (ctx) => {
      state.portal.subscriptions.delete(requireSubscription(state, ctx).id)
      return noContent()
    },
  })
}
