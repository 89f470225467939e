// A local stand-in for HubSpot: an HTTP server with an in-memory portal that serves the endpoints
// of spec/hubspot-api.md, delivers signed webhooks, plays the agent and injects faults.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAgentControls, type AgentControls } from './agent'
import { issueRefreshToken } from './auth'
import { createControlRoutes } from './control'
import { createContact } from './crm'
import {
  FaultController,
  SlidingWindowLimiter,
  type FaultSpec,
  type RequestMatch,
  type WebhookFaultSpec,
} from './faults'
import { nowIso } from './http'
import { Portal } from './portal'
import { uploadProject } from './project'
import { RouteTable } from './router'
import { addSubscription, registerAppWebhookRoutes } from './routes/app-webhooks'
import { registerAvatarRoutes } from './routes/avatars'
import { registerChannelRoutes } from './routes/channels'
import { registerContactRoutes } from './routes/contacts'
import { registerConversationRoutes } from './routes/conversations'
import { registerFileRoutes } from './routes/files'
import { registerOAuthRoutes } from './routes/oauth'
import {
  DEFAULT_APP_SUBSCRIPTIONS,
  defaultSeed,
  type AppCredentials,
  type Seed,
  type SeedInbox,
  type SeedSubscription,
} from './seed'
import { createRequestListener, type PortalSite } from './server'
import type { CallRecord, StandInSettings, StandInState } from './state'
import { WebhookDispatcher, type DeliveryRecord } from './webhooks'

export type { AgentControls, ThreadView } from './agent'
export type { RateLimitPolicy } from './errors'
export type { FaultSpec, RequestMatch, WebhookFaultSpec } from './faults'
export type { AgentFile, AgentReply } from './inbox'
export type * from './portal'
export type { AppCredentials, Seed, SeedAgent, SeedContact, SeedInbox, SeedSubscription } from './seed'
export type { CallRecord, StandInSettings } from './state'
export type { AppWebhookEvent, DeliveryRecord } from './webhooks'
export { DEFAULT_SCOPES } from './seed'
export { ProjectUploadError, type AppAuth } from './project'

export type StandInOptions = {
  // 0 picks a free port (default).
  port?: number
  host?: string
  tokenTtlSeconds?: number
  webhookRetryDelaysMs?: number[]
  webhookTimeoutMs?: number
  seed?: Partial<Seed>
  // 'project' (default: the only kind HubSpot creates since 2026-06-23) or 'legacy'.
  appKind?: 'project' | 'legacy'
  // The stand-in's calendar date, YYYY-MM-DD (default: today).
  today?: string
  // Random source of webhook faults (duplicates, reordering): a seeded one repeats a run's faults.
  random?: () => number
  // More portals (customers) the app can be installed in, beside the seeded one: a number of them
  // with default contents, or each one's. Their app is the same one (its channels, webhook target
  // and subscriptions); everything else is their own. None by default.
  extraPortals?: number | ExtraPortalSeed[]
  // Show HubSpot's install page (pick the account, "Connect app") on authorize; default: auto-approve.
  consentPage?: boolean
}

// An extra portal: not installed until someone approves the app in it (authorize).
export type ExtraPortalSeed = Partial<Pick<Seed, 'portalId' | 'hubDomain' | 'inboxes' | 'agents' | 'contacts'>>

// What a test drives in one portal: its records, its agent, and its API calls.
export type PortalView = {
  portalId: string
  hubDomain: string
  inboxes: SeedInbox[]
  portal: Portal
  agent: AgentControls
}

export type StandInFaults = {
  // The next `count` API requests matching method and path fail with `status` and HubSpot's body for it.
  inject(spec: FaultSpec): void
  // Adds latency to matching API requests; latency(0) removes all latency.
  latency(ms: number, match?: RequestMatch): void
  // Every access token issued so far is now expired: 401 EXPIRED_AUTHENTICATION.
  expireAccessTokens(): void
  // Refreshing with this token now fails with 400 BAD_REFRESH_TOKEN / invalid_grant.
  revokeRefreshToken(token: string): void
  webhooks(spec: WebhookFaultSpec): void
  // Drops pending API faults, latency and webhook faults.
  clear(): void
  // Faults that happened so far (failed API calls, duplicated and held webhook deliveries).
  readonly count: number
  // API faults injected and not yet hit.
  readonly pendingApi: number
}

export type AgentProfile = { actorId: string; name: string; email: string; avatar: string }

export type HubSpotStandIn = {
  url: string
  app: AppCredentials
  portalId: string
  refreshToken: string
  inboxes: SeedInbox[]
  agents: AgentProfile[]
  portal: Portal
  settings: StandInSettings
  calls: CallRecord[]
  // Runs after an API call was applied and before it is answered: a test can kill the process that
  // made it, so the call took effect and its caller never learnt it.
  afterApiCall: ((call: CallRecord) => void | Promise<void>) | undefined
  resetCalls(): void
  deliveries: DeliveryRecord[]
  resetDeliveries(): void
  issueRefreshToken(options?: { scopes?: string[] }): string
  agent: AgentControls
  faults: StandInFaults
  settle(): Promise<void>
  /** Deliveries not done yet: queued, in flight, held, or waiting to be delivered again. */
  pendingDeliveries(): number
  /** Redeliveries waiting for HubSpot's schedule (2 minutes, then 4, 8, …). */
  pendingRedeliveries(): number
  /** Sends every waiting redelivery now, as if their time had come; returns how many. */
  redeliverNow(): number
  /** Waits until every delivery is done, sending redeliveries as soon as nothing else is left. */
  settleAdvancingRedeliveries(): Promise<void>
  hideNewChannelsFromListFor(listCalls: number): void
  // Configures the app's webhook target URL and subscriptions, as a developer would in HubSpot.
  setAppWebhookTarget(targetUrl: string, subscriptions?: SeedSubscription[]): void
  // `hs project upload`: checks the project's files (path → content) and applies them to the app:
  // it becomes a project app with their redirect URLs, scopes and webhooks. Throws ProjectUploadError.
  uploadProject(files: Record<string, string>): { name: string; targetUrl?: string }
  // Every portal of the stand-in, the seeded one first.
  portals: PortalView[]
  // One portal by ID; throws for a portal the stand-in does not have.
  inPortal(portalId: string): PortalView
  // Portals the app is installed in, in install order.
  installs(): { portalId: string; installedAt: number }[]
  close(): Promise<void>
}

// HubSpot delivers a webhook answered non-2xx, or not answered within 5 s, again after about
// 2 minutes, then 4, 8, … : up to 10 retries over about 24 hours (its webhooks guide; hubspot-api.md §5).
export const HUBSPOT_REDELIVERY_DELAYS_MS = Array.from({ length: 10 }, (_, retry) =>
  Math.min(120_000 * 2 ** retry, 8 * 3_600_000)
)
const DEFAULT_RETRY_DELAYS_MS = HUBSPOT_REDELIVERY_DELAYS_MS

const publicHost = (host: string): string => {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

const seedPortal = (state: StandInState, seed: Seed): void => {
  seedExtraPortal(state, seed)
  issueRefreshToken(state, { scopes: seed.scopes, token: seed.refreshToken })
  if (seed.appWebhooks) setAppWebhookTarget(state, seed.appWebhooks.targetUrl, seed.appWebhooks.subscriptions)
}

// A portal's inboxes, agents and contacts. An extra portal has no more: no token until the app is
// approved in it.
const seedExtraPortal = (state: StandInState, seed: Seed): void => {
  const now = nowIso()
  for (const inbox of seed.inboxes) {
    state.portal.inboxes.set(inbox.id, { ...inbox, archived: false, createdAt: now, updatedAt: now })
  }
  for (const agent of seed.agents) {
    const avatar = new URL(agent.avatar ?? `/avatars/${agent.actorId}.svg`, state.baseUrl).toString()
    state.portal.agents.set(agent.actorId, { ...agent, userId: agent.actorId.replace(/^A-/, ''), avatar })
  }
  for (const contact of seed.contacts) createContact(state, contact.properties, contact.id)
}

const setAppWebhookTarget = (
  state: StandInState,
  targetUrl: string,
  subscriptions: SeedSubscription[] = DEFAULT_APP_SUBSCRIPTIONS
): void => {
  const now = nowIso()
  state.portal.appWebhookSettings = {
    targetUrl,
    throttling: { maxConcurrentRequests: 10 },
    createdAt: state.portal.appWebhookSettings?.createdAt ?? now,
    updatedAt: now,
  }
  state.portal.subscriptions.clear()
  for (const subscription of subscriptions) addSubscription(state, { ...subscription, active: true })
}

const extraPortalSeeds = (extra: StandInOptions['extraPortals']): ExtraPortalSeed[] =>
  typeof extra === 'number' ? Array.from({ length: extra }, () => ({})) : (extra ?? [])

// The n-th extra portal (1-based): its own ID, domain and inbox IDs; the default agents and contacts.
const extraSeed = (base: Seed, n: number, given: ExtraPortalSeed): Seed => {
  const portalId = given.portalId ?? String(Number(base.portalId) + n * 1000)
  return {
    ...base,
    portalId,
    hubDomain: given.hubDomain ?? `stand-in-${portalId}.hubspot.test`,
    inboxes: given.inboxes ?? base.inboxes.map((inbox) => ({ ...inbox, id: String(Number(inbox.id) + n * 100) })),
    agents: given.agents ?? base.agents,
    contacts: given.contacts ?? base.contacts,
    appWebhooks: null,
  }
}

// Another portal's state: its own records, tokens and rate limits; the app, settings, faults,
// webhook dispatcher and call log of the first.
const portalStateOf = (first: StandInState, seed: Seed, n: number): StandInState => ({
  ...first,
  portalId: seed.portalId,
  hubDomain: seed.hubDomain,
  portal: new Portal({ appHome: first.portal, idOffset: n * 1_000_000 }),
  limiters: {
    tenSecondly: new SlidingWindowLimiter(() => first.settings.rateLimitPer10s, 10_000),
    search: new SlidingWindowLimiter(() => first.settings.searchRateLimitPerSecond, 1_000),
  },
  get appAuth() {
    return first.appAuth
  },
  set appAuth(auth) {
    first.appAuth = auth
  },
  get afterApiCall() {
    return first.afterApiCall
  },
  set afterApiCall(hook) {
    first.afterApiCall = hook
  },
})

export const startHubSpotStandIn = async (options: StandInOptions = {}): Promise<HubSpotStandIn> => {
  const seed: Seed = { ...defaultSeed(), ...options.seed }
  const host = options.host ?? '127.0.0.1'
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const baseUrl = `http://${publicHost(host)}:${(server.address() as AddressInfo).port}`

  const settings: StandInSettings = {
    assignedToFormat: 'bare',
    denyAuthorize: false,
    consentPage: options.consentPage ?? false,
    rateLimitPer10s: 110,
    searchRateLimitPerSecond: 5,
    phoneMatch: 'digits',
    searchIndexDelayMs: 0,
    reopenOnIncoming: false,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 1800,
    webhookRetryDelaysMs: options.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    webhookTimeoutMs: options.webhookTimeoutMs ?? 5000,
    webhookConcurrency: 1,
    hideNewChannelsForListCalls: 0,
    appKind: options.appKind ?? 'project',
    // TESTBED_HUBSPOT_TODAY runs a whole suite at another date (for instance after HubSpot's sunsets).
    today: options.today ?? process.env.TESTBED_HUBSPOT_TODAY ?? null,
    refreshTokenRotation: false,
    projectConversationSection: 'hubEvents',
    capabilityLimits: {
      maxFileAttachmentCount: 1,
      maxFileAttachmentSizeBytes: 10_000_000,
      maxTotalFileAttachmentSizeBytes: 10_000_000,
    },
    agentReplyStatus: 'SENT',
    autoAssign: null,
    marketplaceListed: false,
    installCaps: { private: 10, unlistedMarketplace: 25 },
  }
  const faults = new FaultController(options.random)
  const state: StandInState = {
    baseUrl,
    app: { ...seed.app },
    portalId: seed.portalId,
    hubDomain: seed.hubDomain,
    user: { id: 7001001, email: 'admin@stand-in.example' },
    defaultScopes: [...seed.scopes],
    settings,
    portal: new Portal(),
    faults,
    dispatcher: new WebhookDispatcher({
      secret: () => seed.app.clientSecret,
      retryDelaysMs: () => settings.webhookRetryDelaysMs,
      timeoutMs: () => settings.webhookTimeoutMs,
      concurrency: () => settings.webhookConcurrency,
      faults,
    }),
    limiters: {
      tenSecondly: new SlidingWindowLimiter(() => settings.rateLimitPer10s, 10_000),
      search: new SlidingWindowLimiter(() => settings.searchRateLimitPerSecond, 1_000),
    },
    calls: [],
    afterApiCall: undefined,
    urlSigningKey: randomBytes(32).toString('hex'),
    appAuth: null,
    installs: new Map([[seed.portalId, { installedAt: Date.now() }]]),
    accounts: [{ portalId: seed.portalId, hubDomain: seed.hubDomain }],
  }
  seedPortal(state, seed)
  const extraStates = extraPortalSeeds(options.extraPortals).map((given, index) => {
    const portalSeed = extraSeed(seed, index + 1, given)
    const portalState = portalStateOf(state, portalSeed, index + 1)
    seedExtraPortal(portalState, portalSeed)
    state.accounts.push({ portalId: portalSeed.portalId, hubDomain: portalSeed.hubDomain })
    return portalState
  })

  const allStates = [state, ...extraStates]
  const expireAccessTokens = () => {
    const expiredAt = Date.now() - 1000
    for (const { portal } of allStates) {
      for (const token of portal.tokens.access.values()) token.expiresAt = Math.min(token.expiresAt, expiredAt)
    }
  }
  const revokeRefreshToken = (token: string) => {
    const refresh = allStates.map(({ portal }) => portal.tokens.refresh.get(token)).find(Boolean)
    if (!refresh) throw new Error(`unknown refresh token ${token.slice(0, 8)}…`)
    refresh.revoked = true
  }
  const sites = allStates.map((portalState): PortalSite & { agent: AgentControls } => {
    const apiRoutes = new RouteTable()
    for (const register of [
      registerOAuthRoutes,
      registerChannelRoutes,
      registerConversationRoutes,
      registerContactRoutes,
      registerFileRoutes,
      registerAppWebhookRoutes,
      registerAvatarRoutes,
    ]) {
      register(apiRoutes, portalState)
    }
    const portalAgent = createAgentControls(portalState)
    const controlRoutes = createControlRoutes(portalState, {
      agent: portalAgent,
      expireAccessTokens,
      revokeRefreshToken,
      // The app's settings are the app's, whichever portal's control API is asked.
      setAppWebhookTarget: (targetUrl, subscriptions) => setAppWebhookTarget(state, targetUrl, subscriptions),
      uploadProject: (files) => uploadProject(state, files),
    })
    return { state: portalState, apiRoutes, controlRoutes, agent: portalAgent }
  })
  const agent = sites[0]!.agent
  server.on('request', createRequestListener(sites))
  const portals: PortalView[] = sites.map((site) => ({
    portalId: site.state.portalId,
    hubDomain: site.state.hubDomain,
    inboxes: [...site.state.portal.inboxes.values()].map(({ id, name, type }) => ({ id, name, type })),
    portal: site.state.portal,
    agent: site.agent,
  }))

  return {
    url: baseUrl,
    app: state.app,
    portalId: state.portalId,
    refreshToken: seed.refreshToken,
    inboxes: seed.inboxes.map((inbox) => ({ ...inbox })),
    agents: [...state.portal.agents.values()].map(({ actorId, name, email, avatar }) => ({
      actorId,
      name,
      email,
      avatar,
    })),
    portal: state.portal,
    settings,
    calls: state.calls,
    set afterApiCall(hook) {
      state.afterApiCall = hook
    },
    get afterApiCall() {
      return state.afterApiCall
    },
    resetCalls: () => {
      state.calls.length = 0
    },
    deliveries: state.dispatcher.deliveries,
    resetDeliveries: () => {
      state.dispatcher.deliveries.length = 0
    },
    pendingDeliveries: () => state.dispatcher.pendingCount(),
    pendingRedeliveries: () => state.dispatcher.pendingRedeliveries(),
    redeliverNow: () => state.dispatcher.redeliverNow(),
    issueRefreshToken: (tokenOptions = {}) => issueRefreshToken(state, tokenOptions).token,
    agent,
    faults: {
      inject: (spec) => faults.inject(spec),
      latency: (ms, match) => faults.latency(ms, match),
      expireAccessTokens,
      revokeRefreshToken,
      webhooks: (spec) => faults.webhooks(spec),
      clear: () => faults.clear(),
      get count() {
        return faults.count
      },
      get pendingApi() {
        return faults.pendingApiFaults()
      },
    },
    settle: () => state.dispatcher.settle(),
    settleAdvancingRedeliveries: async () => {
      // HubSpot's schedule without its wait: whenever only redeliveries are left, their time comes.
      for (;;) {
        while (state.dispatcher.pendingCount() > state.dispatcher.pendingRedeliveries()) {
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        if (state.dispatcher.redeliverNow() === 0) return
      }
    },
    hideNewChannelsFromListFor: (listCalls) => {
      settings.hideNewChannelsForListCalls = listCalls
    },
    setAppWebhookTarget: (targetUrl, subscriptions) => setAppWebhookTarget(state, targetUrl, subscriptions),
    uploadProject: (files) => uploadProject(state, files),
    portals,
    inPortal: (portalId) => {
      const found = portals.find((view) => view.portalId === portalId)
      if (!found) throw new Error(`the stand-in has no portal ${portalId}; portals: ${portals.map((p) => p.portalId)}`)
      return found
    },
    installs: () => [...state.installs].map(([portalId, { installedAt }]) => ({ portalId, installedAt })),
    close: async () => {
      state.dispatcher.stop()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
