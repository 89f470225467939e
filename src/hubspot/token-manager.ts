// The access-token cache. It lives in memory (per process) and in a store the caller provides
// (Botpress integration state), refreshes ahead of expiry, lets one refresh run at a time per
// process, and keeps the refresh token HubSpot returns, so a rotated one reaches every later process.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../log'
import { processCache } from '../memory'
import type { TokenSource } from './auth'
import type { HubSpotHttp } from './http'
import { fingerprint, HubSpotAuthError, requestTokenWithRefreshToken, type AppCredentials } from './oauth'

export type StoredToken = {
  refreshToken?: string
  accessToken?: string
  expiresAt?: number
  refreshAt?: number
  // Fingerprint of the refresh token the access token belongs to.
  tokenOf?: string
  portalId?: string
  // Fingerprint of the configured refresh token that `refreshToken` descends from by rotation.
  rotatedFrom?: string
}

export type TokenStore = {
  load: () => Promise<StoredToken | undefined>
  save: (token: StoredToken) => Promise<void>
}

type CachedToken = { accessToken: string; expiresAt: number; refreshAt: number; tokenOf: string; portalId?: string }

// An access token lives at most a few hours: nothing here outlives it.
const memoryCache = processCache<CachedToken>('access tokens', { maxEntries: 1_000, ttlMs: 12 * 3_600_000 })
const refreshesInFlight = processCache<Promise<CachedToken>>('token refreshes in flight', {
  maxEntries: 1_000,
  ttlMs: 60_000,
})
const rejectedTokens = processCache<true>('rejected access tokens', { maxEntries: 5_000, ttlMs: 12 * 3_600_000 })

// Refresh ahead of expiry: 5 minutes early, or a tenth of the lifetime for short-lived tokens.
export const refreshMomentFor = (obtainedAt: number, expiresInSeconds: number): number =>
  obtainedAt + expiresInSeconds * 1000 - Math.min(5 * 60_000, expiresInSeconds * 100)

// The refresh token to use: the configured one takes precedence, unless the store holds the token
// HubSpot rotated it into; without a configured one, the stored one (from the connect page).
export const currentRefreshToken = (
  configured: string | undefined,
  stored: StoredToken | undefined
): string | undefined => {
  if (!configured) return stored?.refreshToken
  return stored?.refreshToken && stored.rotatedFrom === fingerprint(configured) ? stored.refreshToken : configured
}

// When a refresh token is refused, another process may just have rotated it: the store is read
// again a few times before the refusal counts.
const ROTATION_RECHECK_DELAYS_MS = [0, 200, 600]

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
  public constructor(private readonly options: TokenManagerOptions) {
    this.now = options.now ?? Date.now
  }

  private get key(): string {
    const source = this.options.configuredRefreshToken ? fingerprint(this.options.configuredRefreshToken) : 'state'
    return `${this.options.cacheKey}:${source}`
  }

  private usable(token: { accessToken?: string; refreshAt?: number } | undefined): boolean {
    return (
      !!token?.accessToken &&
      token.refreshAt !== undefined &&
      token.refreshAt > this.now() &&
      !rejectedTokens.has(token.accessToken)
    )
  }

  public async get(): Promise<string> {
    return (await this.current()).accessToken
  }

  // The portal the tokens are for, once a token named it: HubSpot's rate limits are per portal.
  public portalId(): string | undefined {
    return memoryCache.get(this.key)?.portalId
  }

  public async current(): Promise<CachedToken> {
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

  // The refresh token in use now (for revocation), or undefined when HubSpot is not connected.
  public async refreshToken(): Promise<string | undefined> {
    return currentRefreshToken(this.options.configuredRefreshToken, await this.options.store.load())
  }

  public invalidate(token: string): void {
    rejectedTokens.set(token, true)
    const cached = memoryCache.get(this.key)
    if (cached?.accessToken === token) memoryCache.delete(this.key)
  }

  // Drops cached tokens whose cache key starts with the prefix (after a reconnection or an uninstall).
  public static forget(prefix: string): void {
    memoryCache.deleteWhere(prefix)
  }

  private fromStore(stored: StoredToken | undefined, refreshToken: string): CachedToken | undefined {
    if (
      !stored?.accessToken ||
      !stored.expiresAt ||
      !stored.refreshAt ||
      stored.tokenOf !== fingerprint(refreshToken) ||
      !this.usable(stored)
    ) {
      return undefined
    }
    return {
      accessToken: stored.accessToken,
      expiresAt: stored.expiresAt,
      refreshAt: stored.refreshAt,
      tokenOf: stored.tokenOf,
      portalId: stored.portalId,
    }
  }

  private async loadOrRefresh(): Promise<CachedToken> {
    const stored = await this.options.store.load()
    const refreshToken = currentRefreshToken(this.options.configuredRefreshToken, stored)
    if (!refreshToken) throw new HubSpotAuthError('not-connected', 'HubSpot is not connected yet')
    const reusable = this.fromStore(stored, refreshToken)
    if (reusable) {
      memoryCache.set(this.key, reusable)
      return reusable
    }
    try {
      return await this.refresh(stored, refreshToken)
    } catch (error) {
      if (!(error instanceof HubSpotAuthError && error.problem === 'refresh-token-rejected')) throw error
      return this.afterRotationElsewhere(refreshToken, error)
    }
  }

  private async refresh(stored: StoredToken | undefined, refreshToken: string): Promise<CachedToken> {
    const obtainedAt = this.now()
    const response = await requestTokenWithRefreshToken(this.options.http, this.options.app, refreshToken)
    const rotated = response.refresh_token !== refreshToken
    const configured = this.options.configuredRefreshToken
    const fresh: CachedToken = {
      accessToken: response.access_token,
      expiresAt: obtainedAt + response.expires_in * 1000,
      refreshAt: refreshMomentFor(obtainedAt, response.expires_in),
      tokenOf: fingerprint(response.refresh_token),
      portalId: response.hub_id !== undefined ? String(response.hub_id) : stored?.portalId,
    }
    const chain: Pick<StoredToken, 'refreshToken' | 'rotatedFrom'> = configured
      ? rotated
        ? { refreshToken: response.refresh_token, rotatedFrom: fingerprint(configured) }
        : { refreshToken: stored?.refreshToken, rotatedFrom: stored?.rotatedFrom }
      : { refreshToken: response.refresh_token, rotatedFrom: undefined }
    await this.options.store.save({ ...stored, ...fresh, ...chain })
    memoryCache.set(this.key, fresh)
    this.options.logger.debug(
      rotated ? 'HubSpot access token refreshed; HubSpot rotated the refresh token' : 'HubSpot access token refreshed'
    )
    return fresh
  }

  // Another process may have rotated the token we used: its successor, once stored, is used instead.
  private async afterRotationElsewhere(refused: string, refusal: HubSpotAuthError): Promise<CachedToken> {
    for (const delay of ROTATION_RECHECK_DELAYS_MS) {
      await sleep(delay)
      const stored = await this.options.store.load()
      const successor = currentRefreshToken(this.options.configuredRefreshToken, stored)
      if (!successor || successor === refused) continue
      const reusable = this.fromStore(stored, successor)
      if (reusable) {
        memoryCache.set(this.key, reusable)
        return reusable
      }
      return this.refresh(stored, successor)
    }
    throw refusal
  }
}
