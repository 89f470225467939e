import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { HubSpotHttp } from '../../src/hubspot/http'
import { HubSpotAuthError } from '../../src/hubspot/oauth'
import { TokenManager, type StoredToken } from '../../src/hubspot/token-manager'
import { silentLogger } from '../../src/log'

// A token endpoint that counts refreshes and can be told to reject the refresh token.
let server: Server
let url: string
let refreshes = 0
let reject = false
let lifetimeSeconds = 1800

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const form = new URLSearchParams(body)
      res.setHeader('content-type', 'application/json')
      if (reject || form.get('refresh_token') !== 'good-refresh') {
        res.statusCode = 400
        res.end(
          JSON.stringify({
            status: 'BAD_REFRESH_TOKEN',
            message: 'missing or invalid refresh token',
            error: 'invalid_grant',
          })
        )
        return
      }
      refreshes++
      // Answer slowly, so concurrent callers overlap with the refresh in flight.
      setTimeout(() => {
        res.end(
          JSON.stringify({
            access_token: `access-${refreshes}`,
            refresh_token: 'good-refresh',
            expires_in: lifetimeSeconds,
            token_type: 'bearer',
            hub_id: 42,
          })
        )
      }, 30)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

let cacheKeyCounter = 0
const makeManager = (
  store: { value?: StoredToken; loads: number; saves: number },
  now = () => Date.now(),
  refreshToken = 'good-refresh'
) =>
  new TokenManager({
    cacheKey: `test-${++cacheKeyCounter}`,
    app: { clientId: 'c', clientSecret: 's' },
    configuredRefreshToken: refreshToken,
    store: {
      load: async () => {
        store.loads++
        return store.value
      },
      save: async (token) => {
        store.saves++
        store.value = token
      },
    },
    http: new HubSpotHttp({ baseUrl: url, budgetMs: 1000, baseDelayMs: 10, timeoutMs: 2000, logger: silentLogger }),
    logger: silentLogger,
    now,
  })

beforeEach(() => {
  refreshes = 0
  reject = false
  lifetimeSeconds = 1800
})

describe('[token] access token cache', () => {
  it('refreshes once for 50 concurrent callers, then serves from memory', async () => {
    const store = { loads: 0, saves: 0 } as { value?: StoredToken; loads: number; saves: number }
    const manager = makeManager(store)
    const tokens = await Promise.all(Array.from({ length: 50 }, () => manager.get()))
    expect(new Set(tokens)).toEqual(new Set(['access-1']))
    expect(refreshes).toBe(1)
    expect(store.saves).toBe(1)
    await manager.get()
    expect(store.loads).toBe(1)
    expect(store.value).toMatchObject({ accessToken: 'access-1', portalId: '42' })
  })

  it('reuses a token stored by another process instead of refreshing', async () => {
    const store = { loads: 0, saves: 0, value: undefined as StoredToken | undefined }
    await makeManager(store).get()
    const other = makeManager(store)
    expect(await other.get()).toBe('access-1')
    expect(refreshes).toBe(1)
  })

  it('refreshes ahead of expiry, not after', async () => {
    let clock = 1_000_000
    const store = { loads: 0, saves: 0 } as { value?: StoredToken; loads: number; saves: number }
    const manager = makeManager(store, () => clock)
    await manager.get()
    // A 30-minute token is refreshed 3 minutes (a tenth of its life) before it expires.
    clock += (1800 - 181) * 1000
    await manager.get()
    expect(refreshes).toBe(1)
    clock += 2000
    expect(await manager.get()).toBe('access-2')
    expect(refreshes).toBe(2)
  })

  it('refreshes after HubSpot rejects a token, once', async () => {
    const store = { loads: 0, saves: 0 } as { value?: StoredToken; loads: number; saves: number }
    const manager = makeManager(store)
    const first = await manager.get()
    manager.invalidate(first)
    expect(await manager.get()).toBe('access-2')
    expect(refreshes).toBe(2)
  })

  it('says the refresh token was rejected, without retrying', async () => {
    reject = true
    const store = { loads: 0, saves: 0 } as { value?: StoredToken; loads: number; saves: number }
    await expect(makeManager(store).get()).rejects.toMatchObject({ problem: 'refresh-token-rejected' })
    expect(refreshes).toBe(0)
  })

  it('says HubSpot is not connected when there is no refresh token anywhere', async () => {
    const store = { loads: 0, saves: 0 } as { value?: StoredToken; loads: number; saves: number }
    const error = await makeManager(store, Date.now, '')
      .get()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HubSpotAuthError)
    expect((error as HubSpotAuthError).problem).toBe('not-connected')
  })
})
