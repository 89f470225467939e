// Keeping a HubSpot connection, for the connect page and one-click alike.
import { fingerprint } from '../hubspot/oauth'
import { currentRefreshToken, refreshMomentFor, TokenManager } from '../hubspot/token-manager'
import { oauthStore, type Deps } from './context'
import { revokeQuietly } from './setup/teardown'

// A new connection is kept for every process (integration state 'oauth'); the one it replaces is
// revoked, since its token is no longer needed anywhere.
export const keepConnection = async (
  deps: Deps,
  token: { refresh_token: string; access_token: string; expires_in: number },
  obtainedAt: number,
  portalId: string | undefined
): Promise<void> => {
  const store = oauthStore(deps.client, deps.ctx.integrationId)
  const replaced = currentRefreshToken(undefined, await store.load())
  await store.save({
    refreshToken: token.refresh_token,
    accessToken: token.access_token,
    expiresAt: obtainedAt + token.expires_in * 1000,
    refreshAt: refreshMomentFor(obtainedAt, token.expires_in),
    tokenOf: fingerprint(token.refresh_token),
    portalId,
  })
  TokenManager.forget(`${deps.ctx.integrationId}:`)
  if (replaced && replaced !== token.refresh_token) await revokeQuietly(deps, replaced, 'HubSpot was connected again')
}
