// Everything one running stand-in shares between its routes, its agent and its control API.
import type { FaultController, SlidingWindowLimiter } from './faults'
import type { Portal } from './portal'
import type { AppCredentials } from './seed'
import type { WebhookDispatcher } from './webhooks'

export type StandInSettings = {
  // Format of propertyValue in assignedTo propertyChange webhooks: '111' (bare) or 'A-111' (prefixed).
  assignedToFormat: 'bare' | 'prefixed'
  // The authorize page redirects with error=access_denied instead of a code.
  denyAuthorize: boolean
  // Bearer calls per portal per rolling 10 s.
  rateLimitPer10s: number
  // CRM search calls per portal per second.
  searchRateLimitPerSecond: number
  // How a HS_PHONE_NUMBER sender is matched to a contact's phone or mobilephone.
  phoneMatch: 'digits' | 'exact'
  // A new contact is found by CRM search only after this delay (HubSpot indexes asynchronously).
  searchIndexDelayMs: number
  // An INCOMING message on a CLOSED thread reopens it (false: the thread stays closed).
  reopenOnIncoming: boolean
  tokenTtlSeconds: number
  webhookRetryDelaysMs: number[]
  // A webhook delivery without an answer within this time counts as failed.
  webhookTimeoutMs: number
  // Deliveries in flight at once per target URL. 1 keeps tests deterministic; HubSpot itself sends
  // app webhooks up to 10 at a time and promises no order.
  webhookConcurrency: number
  // Newly created channels stay out of the GET list for this many list calls.
  hideNewChannelsForListCalls: number
}

export type CallRecord = {
  method: string
  path: string
  // 0 while the request is still being handled.
  status: number
  auth: 'bearer' | 'hapikey' | 'none'
  at: number
}

export type StandInState = {
  baseUrl: string
  app: AppCredentials
  portalId: string
  hubDomain: string
  user: { id: number; email: string }
  // Scopes granted to refresh tokens issued without an explicit list.
  defaultScopes: string[]
  settings: StandInSettings
  portal: Portal
  faults: FaultController
  dispatcher: WebhookDispatcher
  limiters: { tenSecondly: SlidingWindowLimiter; search: SlidingWindowLimiter }
  calls: CallRecord[]
  // Signs file download URLs.
  urlSigningKey: string
}
