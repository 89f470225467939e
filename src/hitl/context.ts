// What one invocation needs: the parsed configuration, the HubSpot client with its token source,
// the texts in the configured language, and the setup state (cached in memory between invocations).
import { configurationSchema, type Configuration, type SetupState } from '../../definitions'
import * as env from '../env'
import { HubSpotHttp } from '../hubspot/http'
import { TokenManager, type StoredToken, type TokenStore } from '../hubspot/oauth'
import { textsFor, type Texts } from '../i18n'
import type { Logger } from '../log'
import type { Client, Context } from '../types'
import { connectLinkFor } from './connect-key'
import { fail } from './errors'

export type Deps = {
  ctx: Context
  client: Client
  logger: Logger
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

const isNotFound = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && ((error as { code?: unknown }).code === 404 || (error as { type?: unknown }).type === 'ResourceNotFound')

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

// `webhookUrl` is the integration's public URL as Botpress gave it to register; without it, the
// one built from BP_WEBHOOK_URL and the webhook ID.
export const createDeps = (
  props: { ctx: Context; client: Client; logger: Logger & { forBot?: () => Logger }; webhookUrl?: string },
  purpose: 'action' | 'webhook'
): Deps => {
  const config = parseConfiguration(props.ctx.configuration)
  // The bot builder reads these lines in the bot's logs (they carry IDs and statuses, nothing personal).
  const logger = props.logger.forBot?.() ?? props.logger
  const webhookUrl = props.webhookUrl || env.publicWebhookUrl(props.ctx.webhookId)
  const baseUrl = env.hubspotApiUrl()
  const deadline = Date.now() + (purpose === 'webhook' ? env.webhookInvocationBudgetMs() : env.actionInvocationBudgetMs())
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
  const hubspot = new HubSpotHttp({ ...options, tokens, developer: { apiKey: config.developerApiKey, appId: config.appId } })
  return {
    ctx: props.ctx,
    client: props.client,
    logger,
    config,
    texts: textsFor(config.language),
    hubspot,
    tokens,
    webhookUrl,
    deadline,
    connectUrl: connectLinkFor(webhookUrl, config.clientSecret, props.ctx.webhookId),
  }
}

// Setup state: written by register (or the OAuth callback), read on every escalation. Cached for a
// few minutes, so a process also picks up a setup another process changed.
const SETUP_CACHE_MS = 5 * 60 * 1000
const setupCache = new Map<string, { setup: SetupState; until: number }>()

const cacheSetup = (integrationId: string, setup: SetupState) => setupCache.set(integrationId, { setup, until: Date.now() + SETUP_CACHE_MS })

export const readSetup = async (deps: Pick<Deps, 'client' | 'ctx'>): Promise<SetupState | undefined> => {
  const cached = setupCache.get(deps.ctx.integrationId)
  if (cached && cached.until > Date.now()) return cached.setup
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
export const timeLeftFor = (deps: Pick<Deps, 'deadline'>, cap: number): number => Math.max(1, Math.min(cap, deps.deadline - Date.now() - env.deadlineMarginMs()))

export { isNotFound }
