import { API_VERSIONS } from './hubspot/versions'

// Endpoints and tunables, read when used so tests and the sandbox can point them at local stand-ins.
const trimSlash = (url: string) => url.replace(/\/+$/, '')

export const hubspotApiUrl = (): string => trimSlash(process.env.HUBSPOT_API_URL || 'https://api.hubapi.com')

export const hubspotAuthorizeUrl = (): string =>
  process.env.HUBSPOT_AUTHORIZE_URL || 'https://app.hubspot.com/oauth/authorize'

// The Conversations API version to call; tests set it to run whole sessions on a dated version.
export const conversationsApiVersion = (): string =>
  process.env.HUBSPOT_CONVERSATIONS_API_VERSION || API_VERSIONS.conversations

export const botpressWebhookBaseUrl = (): string =>
  trimSlash(process.env.BP_WEBHOOK_URL || 'https://webhook.botpress.cloud')

export const publicWebhookUrl = (webhookId: string): string => `${botpressWebhookBaseUrl()}/${webhookId}`

const numberFromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value >= 0 ? value : fallback
}

// The base of the exponential backoff between HubSpot retries (tests shorten it).
export const retryBaseDelayMs = (): number => numberFromEnv('HUBSPOT_RETRY_BASE_MS', 250)

// How long one Botpress invocation may spend retrying HubSpot. Webhooks get less: HubSpot gives up
// on a delivery after 5 s and redelivers it, which our deduplication absorbs.
export const actionRetryBudgetMs = (): number => numberFromEnv('HUBSPOT_RETRY_BUDGET_MS', 20_000)
export const webhookRetryBudgetMs = (): number => numberFromEnv('HUBSPOT_WEBHOOK_RETRY_BUDGET_MS', 3_500)

export const requestTimeoutMs = (): number => numberFromEnv('HUBSPOT_REQUEST_TIMEOUT_MS', 15_000)

// How long after startHitl returned the hitl plugin may still be activating the session when its
// link tag is not seen (it links the conversations and sets hitlActive in a few Botpress calls, and
// drops agent events until then).
export const pluginActivationGraceMs = (): number => numberFromEnv('HITL_PLUGIN_ACTIVATION_GRACE_MS', 5_000)

// After the hitl plugin's link tag is seen on a session, how long its last calls (saving the start
// message, setting hitlActive on both conversations) are given before the session is taken as active.
export const pluginLinkMarginMs = (): number => numberFromEnv('HITL_PLUGIN_LINK_MARGIN_MS', 600)

// One invocation's time: everything it does (retries, downloads, flushes, waits) shares one
// deadline. A webhook must be answered within HubSpot's 5 s (else HubSpot delivers it again after
// minutes); an action or a message is well inside Botpress's 60 s client timeout.
export const webhookInvocationBudgetMs = (): number => numberFromEnv('HITL_WEBHOOK_BUDGET_MS', 4_000)
export const actionInvocationBudgetMs = (): number => numberFromEnv('HITL_ACTION_BUDGET_MS', 45_000)
// Kept free before the deadline to record what is left and answer.
export const deadlineMarginMs = (): number => numberFromEnv('HITL_DEADLINE_MARGIN_MS', 400)

// How long a process may hold a session's lock before another may take it: longer than any one
// event's work, far shorter than HubSpot's redelivery of a webhook whose process died holding it.
export const sessionLockExpiryMs = (): number => numberFromEnv('HITL_SESSION_LOCK_EXPIRY_MS', 10_000)

// Origins files may be fetched from even when they resolve inside the network: the Botpress API and
// HubSpot as configured, plus HITL_TRUSTED_FILE_ORIGINS (comma-separated; the testbed's local hosts).
export const trustedFileOrigins = (): string[] => {
  const origins = [
    process.env.BP_API_URL || 'https://api.botpress.cloud',
    hubspotApiUrl(),
    ...(process.env.HITL_TRUSTED_FILE_ORIGINS ?? '').split(','),
  ]
  return origins.flatMap((value) => {
    try {
      return value.trim() ? [new URL(value.trim()).origin] : []
    } catch {
      return []
    }
  })
}

// The share of HubSpot's per-portal limits (110 calls per 10 s, 5 searches per second) this process
// lets itself use: the rest absorbs calls in flight when the window turns over.
export const hubspotCallsPer10s = (): number => numberFromEnv('HUBSPOT_CALLS_PER_10S', 105)
export const hubspotSearchesPerSecond = (): number => numberFromEnv('HUBSPOT_SEARCHES_PER_SECOND', 4)

// How long a customer message HubSpot could not take stays owed before the customer is told.
export const outboxGiveUpMs = (): number => numberFromEnv('HITL_OUTBOX_GIVE_UP_MS', 10 * 60_000)

// The channel accepts files up to this size (its capabilities); larger ones are refused before upload.
export const MAX_ATTACHMENT_BYTES = 10_000_000
export const maxAttachmentBytes = (): number => numberFromEnv('HUBSPOT_MAX_ATTACHMENT_BYTES', MAX_ATTACHMENT_BYTES)
