// Everything one running stand-in shares between its routes, its agent and its control API.
import type { FaultController, SlidingWindowLimiter } from './faults'
import type { Portal } from './portal'
import type { AppAuth, ProjectSection } from './project'
import type { AppCredentials } from './seed'
import type { WebhookDispatcher } from './webhooks'

export type StandInSettings = {
  // Format of propertyValue in assignedTo propertyChange webhooks: '111' (bare) or 'A-111' (prefixed).
  assignedToFormat: 'bare' | 'prefixed'
  // The authorize page redirects with error=access_denied instead of a code.
  denyAuthorize: boolean
  // The authorize route shows HubSpot's install page (pick the account, "Connect app") before the
  // code, for a person in a browser (routes/consent.ts); off: it approves at once.
  consentPage: boolean
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
  // The app's kind. Since 2026-06-23 HubSpot creates project apps only, whose webhooks come from the
  // project's files: the webhook settings API refuses them. Legacy public apps use that API.
  appKind: 'project' | 'legacy'
  // The stand-in's calendar date (YYYY-MM-DD) for HubSpot's sunsets; null is today's date. From
  // 2027-02-16 the OAuth v1 endpoints answer as removed.
  today: string | null
  // A refresh answers with a new refresh token and the old one stops working. HubSpot's docs do not
  // say it rotates (third parties report it does not), so it is off by default.
  refreshTokenRotation: boolean
  // Where a project's webhooks file may declare conversation.* subscriptions (see project.ts).
  projectConversationSection: ProjectSection
  // The largest capability values a channel may declare; beyond them channel creation is refused
  // with INVALID_CHANNEL_CAPABILITY_VALUES. Defaults: the values seen working in production.
  capabilityLimits: {
    maxFileAttachmentCount: number
    maxFileAttachmentSizeBytes: number
    maxTotalFileAttachmentSizeBytes: number
  }
  // The status an agent's reply carries before any integration reports one: SENT, as in HubSpot's
  // published webhook example; null for none.
  agentReplyStatus: 'SENT' | null
  // Assigns each new thread (of `inboxId`, or of every inbox) to `actorId` after `delayMs`, as
  // help-desk routing rules or an admin can. Off by default: new inbox threads are unassigned.
  autoAssign: { actorId: string; delayMs: number; inboxId?: string } | null
  // A marketplace app listed on the App Marketplace has no install cap; an unlisted one has.
  marketplaceListed: boolean
  // How many portals may install the app. private: 10 accounts at a time (HubSpot's docs, see
  // shared/spec/hubspot-platform-2026.md §1.1); unlistedMarketplace: 25, reported by third parties
  // only (unverified). An approval in one more portal is refused.
  installCaps: { private: number; unlistedMarketplace: number }
}

export type CallRecord = {
  method: string
  path: string
  // 0 while the request is still being handled.
  status: number
  auth: 'bearer' | 'hapikey' | 'none'
  at: number
  // The portal the call was about, when the app is installed in several.
  portalId?: string
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
  // Runs after an API call was applied and before it is answered (a test kills a process here).
  afterApiCall: ((call: CallRecord) => void | Promise<void>) | undefined
  // Signs file download URLs.
  urlSigningKey: string
  // A project app's auth, from its uploaded app-hsmeta.json; null until a project is uploaded.
  appAuth: AppAuth | null
  // Portals the app is installed in, shared by every portal's state (an approval installs it).
  installs: Map<string, { installedAt: number }>
  // The accounts (portals) the signed-in user may install the app in, shared by every portal's state:
  // what HubSpot's install page lists.
  accounts: { portalId: string; hubDomain: string }[]
}

export const OAUTH_V1_REMOVED_ON = '2027-02-16'

export const todayOf = (state: StandInState): string => state.settings.today ?? new Date().toISOString().slice(0, 10)

// The app's install cap, or null when nothing caps it (a legacy app, a listed marketplace app).
export const installCapOf = (state: StandInState): number | null => {
  const distribution = state.settings.appKind === 'project' ? state.appAuth?.distribution : undefined
  if (distribution === 'private') return state.settings.installCaps.private
  if (distribution === 'marketplace' && !state.settings.marketplaceListed) {
    return state.settings.installCaps.unlistedMarketplace
  }
  return null
}
