// The app's webhook target and subscriptions (developer key). HubSpot serves this API for legacy
// public apps only; a project app declares the same in its webhooks-hsmeta.json.
import { z } from 'zod'
import { HubSpotApiError } from './api-error'
import type { HubSpotHttp } from './http'
import { webhooksBase } from './versions'

const settingsSchema = z.object({ targetUrl: z.string() }).passthrough()
const subscriptionSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  eventType: z.string(),
  propertyName: z.string().optional().nullable(),
  active: z.boolean(),
})
const subscriptionListSchema = z.object({ results: z.array(subscriptionSchema) })
export type Subscription = z.infer<typeof subscriptionSchema>

export const getWebhookTarget = async (http: HubSpotHttp, appId: string): Promise<string | undefined> => {
  try {
    const settings = await http.send({
      method: 'GET',
      path: `${webhooksBase(appId)}/settings`,
      auth: 'developer',
      schema: settingsSchema,
    })
    return settings.targetUrl
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 404) return undefined
    throw error
  }
}

export const setWebhookTarget = (
  http: HubSpotHttp,
  appId: string,
  targetUrl: string,
  maxConcurrentRequests: number
): Promise<void> =>
  http
    .send({
      method: 'PUT',
      path: `${webhooksBase(appId)}/settings`,
      auth: 'developer',
      json: { targetUrl, throttling: { maxConcurrentRequests } },
      schema: z.unknown(),
    })
    .then(() => undefined)

export const listSubscriptions = async (http: HubSpotHttp, appId: string): Promise<Subscription[]> =>
  (
    await http.send({
      method: 'GET',
      path: `${webhooksBase(appId)}/subscriptions`,
      auth: 'developer',
      schema: subscriptionListSchema,
    })
  ).results

export const createSubscription = (
  http: HubSpotHttp,
  appId: string,
  subscription: { eventType: string; propertyName?: string }
): Promise<void> =>
  http
    .send({
      method: 'POST',
      path: `${webhooksBase(appId)}/subscriptions`,
      auth: 'developer',
      json: { ...subscription, active: true },
      retrySafe: false,
      schema: z.unknown(),
    })
    .then(() => undefined)

export const activateSubscription = (http: HubSpotHttp, appId: string, subscriptionId: string): Promise<void> =>
  http
    .send({
      method: 'PATCH',
      path: `${webhooksBase(appId)}/subscriptions/${encodeURIComponent(subscriptionId)}`,
      auth: 'developer',
      json: { active: true },
      schema: z.unknown(),
    })
    .then(() => undefined)
