// What one invocation needs: the parsed configuration, the HubSpot client with its token source,
// the texts in the configured language, and the setup state (cached in memory between invocations).
import {
  configurationSchema,
  oneClickConfigurationSchema,
  type Configuration,
  type SetupState,
} from '../../definitions'
import * as env from '../env'
import { HubSpotHttp } from '../hubspot/http'
import { TokenManager, type StoredToken, type TokenStore } from '../hubspot/token-manager'
import { textsFor, type Texts } from '../i18n'
import type { Logger } from '../log'
import { processCache } from '../memory'
import type { Client, Context } from '../types'
import { connectLinkFor } from './connect-key'
import { fail } from './errors'

// 'one-click': the default configuration, on the publisher's HubSpot app (its credentials are the
// integration's secrets); 'manual': the bot builder's own app (configurations.manual).
export type Mode = 'one-click' | 'manual'

export type Deps = {
  ctx: Context
  client: Client
  logger: Logger
  mode: Mode
  // Both modes read as the manual fields: in one-click the app's come from the publisher's secrets,
  // there is no refresh token field, and the inboxes may not be chosen yet (defaultInboxId '').
  config: Configuration
  texts: Texts
  hubspot: HubSpotHttp
  tokens: TokenManager
  connectUrl: string
  webhookUrl: string
  // When this invocation must have answered (epoch ms): every wait and retry ends before.
  deadline: number
}

export const parseConfiguration = (raw: unknown): Configuration => {
  const parsed = configurationSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'configuration'}: ${issue.message}`)
  throw fail('invalidConfiguration', { issues })
}

// The publisher app's credentials, given at `bp deploy --secrets NAME=value` and passed to the
// integration by Botpress as SECRET_<NAME> environment variables.
export const publisherApp = ():
  | { clientId: string; clientSecret: string; appId: string; developerApiKey: string }
  | undefined => {
  const [clientId, clientSecret, appId, developerApiKey] = [
    'CLIENT_ID',
    'CLIENT_SECRET',
    'APP_ID',
    'DEVELOPER_API_KEY',
  ].map((name) => process.env[`SECRET_${name}`]?.trim() ?? '')
  if (!clientId || !clientSecret || !appId || !developerApiKey) return undefined
  return { clientId, clientSecret, appId, developerApiKey }
}

// A default configuration that holds a client ID is a 1.x installation's, carried over by the
// upgrade to 2.x as the default configuration: it runs as manual, unchanged.
export const carriesOwnApp = (configuration: unknown): boolean =>
  typeof configuration === 'object' &&
  configuration !== null &&
  typeof (configuration as { clientId?: unknown }).clientId === 'string' &&
  (configuration as { clientId: string }).clientId.trim() !== ''

export const modeOf = (ctx: Pick<Context, 'configurationType' | 'configuration'>): Mode =>
  ctx.configurationType === 'manual' || carriesOwnApp(ctx.configuration) ? 'manual' : 'one-click'

// One-click's configuration read as the manual one, the app's credentials from the secrets.
export const parseOneClickConfiguration = (raw: unknown): Configuration => {
  const parsed = oneClickConfigurationSchema.safeParse(raw ?? {})
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'configuration'}: ${issue.message}`)
    throw fail('invalidConfiguration', { issues })
  }
  const app = publisherApp()
  if (!app) throw fail('oneClickUnavailable')
  return {
    ...parsed.data,
    ...app,
    appKind: 'project',
    refreshToken: undefined,
    defaultInboxId: parsed.data.defaultInboxId ?? '',
  }
}

// One-click's connect link: Botpress's OAuth route, routed to this installation by `state` (what
// linkTemplate.vrl writes for the Connect button).
export const oneClickConnectUrl = (webhookId: string): string =>
  `${env.botpressWebhookBaseUrl()}/oauth/start?state=${encodeURIComponent(webhookId)}`

const isNotFound = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  ((error as { code?: unknown }).code === 404 || (error as { type?: unknown }).type === 'ResourceNotFound')

export const oauthStore = (client: Client, integrationId: string): TokenStore => ({
  load: async () => {
    try {
      const { state } = await client.getState({ type: 'integration', id: integrationId, name: 'oauth' })
      return (state.payload ?? undefined) as StoredToken | undefined
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  },
  save: async (token) => {
    await client.setState({ type: 'integration', id: integrationId, name: 'oauth', payload: token })
  },
})

// The connection pages (GET /oauth…: the OAuth callback trades a code, sets up the channel and lists
// the inboxes while the bot builder waits) run under the action budget; HubSpot's webhooks under
// the webhook one.
export const budgetFor = (method: string, path: string): 'action' | 'webhook' =>
  method.toUpperCase() === 'GET' && (path === '/oauth' || path.startsWith('/oauth/')) ? 'action' : 'webhook'

// `webhookUrl` is the integration's public URL as Botpress gave it to register; without it, the
// one built from BP_WEBHOOK_URL and the webhook ID.
export const createDeps = (
  props: { ctx: Context; client: Client; logger: Logger & { forBot?: () => Logger }; webhookUrl?: string },
  purpose: 'action' | 'webhook'
): Deps => {
  const mode = modeOf(props.ctx)
  const config =
    mode === 'manual'
      ? parseConfiguration(props.ctx.configuration)
      : parseOneClickConfiguration(props.ctx.configuration)
  // The bot builder reads these lines in the bot's logs (they carry IDs and statuses, nothing personal).
  const logger = props.logger.forBot?.() ?? props.logger
  const webhookUrl = props.webhookUrl || env.publicWebhookUrl(props.ctx.webhookId)
  const baseUrl = env.hubspotApiUrl()
  const deadline =
    Date.now() + (purpose === 'webhook' ? env.webhookInvocationBudgetMs() : env.actionInvocationBudgetMs())
  const options = {
    baseUrl,
    budgetMs: purpose === 'webhook' ? env.webhookRetryBudgetMs() : env.actionRetryBudgetMs(),
    baseDelayMs: env.retryBaseDelayMs(),
    timeoutMs: env.requestTimeoutMs(),
    logger,
    deadline,
  }
  const tokenHttp = new HubSpotHttp(options)
  const tokens = new TokenManager({
    cacheKey: `${props.ctx.integrationId}:${baseUrl}`,
    app: { clientId: config.clientId, clientSecret: config.clientSecret },
    configuredRefreshToken: config.refreshToken || undefined,
    store: oauthStore(props.client, props.ctx.integrationId),
    http: tokenHttp,
    logger,
  })
  const hubspot = new HubSpotHttp({
    ...options,
    tokens,
    developer: { apiKey: config.developerApiKey, appId: config.appId },
  })
  return {
    ctx: props.ctx,
    client: props.client,
    logger,
    mode,
    config,
    texts: textsFor(config.language),
    hubspot,
    tokens,
    webhookUrl,
    deadline,
    connectUrl:
      mode === 'manual'
        ? connectLinkFor(webhookUrl, config.clientSecret, props.ctx.webhookId)
        : oneClickConnectUrl(props.ctx.webhookId),
  }
}

// Setup state: written by register (or the OAuth callback), read on every escalation. Cached for a
// few minutes, so a process also picks up a setup another process changed.
const SETUP_CACHE_MS = 5 * 60 * 1000
const setupCache = processCache<SetupState>('setup', { maxEntries: 1_000, ttlMs: SETUP_CACHE_MS })

const cacheSetup = (integrationId: string, setup: SetupState) => setupCache.set(integrationId, setup)

export const readSetup = async (deps: Pick<Deps, 'client' | 'ctx'>): Promise<SetupState | undefined> => {
  const cached = setupCache.get(deps.ctx.integrationId)
  if (cached) return cached
  try {
    const { state } = await deps.client.getState({ type: 'integration', id: deps.ctx.integrationId, name: 'setup' })
    const setup = (state.payload ?? undefined) as SetupState | undefined
    if (setup?.channelId) cacheSetup(deps.ctx.integrationId, setup)
    return setup?.channelId ? setup : undefined
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

export const writeSetup = async (deps: Pick<Deps, 'client' | 'ctx'>, setup: SetupState | null): Promise<void> => {
  await deps.client.setState({ type: 'integration', id: deps.ctx.integrationId, name: 'setup', payload: setup })
  if (setup) cacheSetup(deps.ctx.integrationId, setup)
  else setupCache.delete(deps.ctx.integrationId)
}

export const forgetSetup = (integrationId: string): void => {
  setupCache.delete(integrationId)
}

// What is left of the invocation's time for one more request, at most `cap` ms.
export const timeLeftFor = (deps: Pick<Deps, 'deadline'>, cap: number): number =>
  Math.max(1, Math.min(cap, deps.deadline - Date.now() - env.deadlineMarginMs()))

export { isNotFound }
