// OAuth: the token endpoint, token introspection, and the access-token cache. The cache lives in
// memory (per process) and in a store the caller provides (Botpress integration state), refreshes
// ahead of expiry, and lets only one refresh run at a time per process.
import { createHash } from 'node:crypto'
import type { Logger } from '../log'
import { HubSpotApiError, type HubSpotHttp, type TokenSource } from './http'
import { accessTokenInfoSchema, tokenResponseSchema, type AccessTokenInfo, type TokenResponse } from './schemas'

export type AppCredentials = { clientId: string; clientSecret: string }

export type StoredToken = {
  refreshToken?: string
  accessToken?: string
  expiresAt?: number
  refreshAt?: number
  tokenOf?: string
  portalId?: string
}

export type TokenStore = {
  load: () => Promise<StoredToken | undefined>
  save: (token: StoredToken) => Promise<void>
}

export type HubSpotAuthProblem = 'not-connected' | 'refresh-token-rejected' | 'app-credentials-rejected'

export class HubSpotAuthError extends Error {
  readonly name = 'HubSpotAuthError'
  constructor(readonly problem: HubSpotAuthProblem, message: string) {
    super(message)
  }
}

export const fingerprint = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 16)

const classifyTokenError = (error: unknown): HubSpotAuthError | undefined => {
  if (!(error instanceof HubSpotApiError) || error.status !== 400) return undefined
  const { status, message } = error.envelope
  const raw = error.envelope as Record<string, unknown>
  const code = `${status ?? ''} ${String(raw.error ?? '')} ${message ?? ''}`.toLowerCase()
  if (code.includes('client')) return new HubSpotAuthError('app-credentials-rejected', 'HubSpot rejected the client ID or client secret')
  if (code.includes('refresh') || code.includes('invalid_grant')) {
    return new HubSpotAuthError('refresh-token-rejected', 'HubSpot rejected the refresh token')
  }
  return undefined
}

type Grant = { grant_type: 'refresh_token'; refresh_token: string } | { grant_type: 'authorization_code'; code: string; redirect_uri: string }

// The token endpoint, for both grants. A refresh may be repeated safely; a code is single-use.
const requestToken = async (http: HubSpotHttp, app: AppCredentials, grant: Grant): Promise<TokenResponse> => {
  try {
    return await http.send({
      method: 'POST',
      path: '/oauth/v1/token',
      auth: 'none',
      retrySafe: grant.grant_type === 'refresh_token',
      form: { client_id: app.clientId, client_secret: app.clientSecret, ...grant },
      schema: tokenResponseSchema,
    })
  } catch (error) {
    throw classifyTokenError(error) ?? error
  }
}

export const requestTokenWithRefreshToken = (http: HubSpotHttp, app: AppCredentials, refreshToken: string): Promise<TokenResponse> =>
  requestToken(http, app, { grant_type: 'refresh_token', refresh_token: refreshToken })

export const requestTokenWithAuthorizationCode = (http: HubSpotHttp, app: AppCredentials, code: string, redirectUri: string): Promise<TokenResponse> =>
  requestToken(http, app, { grant_type: 'authorization_code', code, redirect_uri: redirectUri })

export const getAccessTokenInfo = (http: HubSpotHttp, accessToken: string): Promise<AccessTokenInfo> =>
  http.send({
    method: 'GET',
    path: `/oauth/v1/access-tokens/${encodeURIComponent(accessToken)}`,
    label: '/oauth/v1/access-tokens/{token}',
    auth: 'none',
    schema: accessTokenInfoSchema,
  })

type CachedToken = { accessToken: string; expiresAt: number; refreshAt: number; tokenOf: string; portalId?: string }

const memoryCache = new Map<string, CachedToken>()
const refreshesInFlight = new Map<string, Promise<CachedToken>>()
const rejectedTokens = new Set<string>()

// Refresh ahead of expiry: 5 minutes early, or a tenth of the lifetime for short-lived tokens.
export const refreshMomentFor = (obtainedAt: number, expiresInSeconds: number): number =>
  obtainedAt + expiresInSeconds * 1000 - Math.min(5 * 60_000, expiresInSeconds * 100)

export type TokenManagerOptions = {
  cacheKey: string
  app: AppCredentials
  configuredRefreshToken?: string
  store: TokenStore
  http: HubSpotHttp
  logger: Logger
  now?: () => number
}

export class TokenManager implements TokenSource {
  private readonly now: () => number
  constructor(private readonly options: TokenManagerOptions) {
    this.now = options.now ?? Date.now
  }

  private get key(): string {
    const source = this.options.configuredRefreshToken ? fingerprint(this.options.configuredRefreshToken) : 'state'
    return `${this.options.cacheKey}:${source}`
  }

  private usable(token: { accessToken?: string; refreshAt?: number } | undefined): boolean {
    return !!token?.accessToken && token.refreshAt !== undefined && token.refreshAt > this.now() && !rejectedTokens.has(token.accessToken)
  }

  async get(): Promise<string> {
    return (await this.current()).accessToken
  }

  async current(): Promise<CachedToken> {
    const cached = memoryCache.get(this.key)
    if (cached && this.usable(cached)) return cached
    const key = this.key
    let inFlight = refreshesInFlight.get(key)
    if (!inFlight) {
      inFlight = this.loadOrRefresh().finally(() => refreshesInFlight.delete(key))
      refreshesInFlight.set(key, inFlight)
    }
    return inFlight
  }

  invalidate(token: string): void {
    rejectedTokens.add(token)
    const cached = memoryCache.get(this.key)
    if (cached?.accessToken === token) memoryCache.delete(this.key)
  }

  // Drops cached tokens whose cache key starts with the prefix (after a reconnection or an uninstall).
  static forget(prefix: string): void {
    for (const key of [...memoryCache.keys()]) if (key.startsWith(prefix)) memoryCache.delete(key)
  }

  private async loadOrRefresh(): Promise<CachedToken> {
    const stored = await this.options.store.load()
    const refreshToken = this.options.configuredRefreshToken || stored?.refreshToken
    if (!refreshToken) throw new HubSpotAuthError('not-connected', 'HubSpot is not connected yet')
    const tokenOf = fingerprint(refreshToken)

    if (stored?.accessToken && stored.expiresAt && stored.refreshAt && stored.tokenOf === tokenOf && this.usable(stored)) {
      const fromStore: CachedToken = {
        accessToken: stored.accessToken,
        expiresAt: stored.expiresAt,
        refreshAt: stored.refreshAt,
        tokenOf,
        portalId: stored.portalId,
      }
      memoryCache.set(this.key, fromStore)
      return fromStore
    }

    const obtainedAt = this.now()
    const response = await requestTokenWithRefreshToken(this.options.http, this.options.app, refreshToken)
    const fresh: CachedToken = {
      accessToken: response.access_token,
      expiresAt: obtainedAt + response.expires_in * 1000,
      refreshAt: refreshMomentFor(obtainedAt, response.expires_in),
      tokenOf,
      portalId: response.hub_id !== undefined ? String(response.hub_id) : stored?.portalId,
    }
    await this.options.store.save({ ...stored, ...fresh })
    memoryCache.set(this.key, fresh)
    this.options.logger.debug('HubSpot access token refreshed')
    return fresh
  }
}
