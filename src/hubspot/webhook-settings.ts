// The app's webhook target and subscriptions (developer key): assignment and close events reach the
// integration only through them.
import { z } from 'zod'
import { HubSpotApiError, type HubSpotHttp } from './http'

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
    const settings = await http.send({ method: 'GET', path: `/webhooks/v3/${appId}/settings`, auth: 'developer', schema: settingsSchema })
    return settings.targetUrl
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 404) return undefined
    throw error
  }
}

export const setWebhookTarget = (http: HubSpotHttp, appId: string, targetUrl: string): Promise<void> =>
  http
    .send({
      method: 'PUT',
      path: `/webhooks/v3/${appId}/settings`,
      auth: 'developer',
      json: { targetUrl, throttling: { maxConcurrentRequests: 10 } },
      schema: z.unknown(),
    })
    .then(() => undefined)

export const listSubscriptions = async (http: HubSpotHttp, appId: string): Promise<Subscription[]> =>
  (await http.send({ method: 'GET', path: `/webhooks/v3/${appId}/subscriptions`, auth: 'developer', schema: subscriptionListSchema })).results

export const createSubscription = (http: HubSpotHttp, appId: string, eventType: string): Promise<void> =>
  http
    .send({
      method: 'POST',
      path: `/webhooks/v3/${appId}/subscriptions`,
      auth: 'developer',
      json: { eventType, active: true },
      retrySafe: false,
      schema: z.unknown(),
    })
    .then(() => undefined)
