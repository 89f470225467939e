// OAuth on /oauth/2026-03/: the token endpoint (code exchange and refresh), introspection and
// revocation. The access-token cache that uses them is token-manager.ts.
import { createHash } from 'node:crypto'
import { HubSpotApiError } from './api-error'
import type { HubSpotHttp } from './http'
import { tokenIntrospectionSchema, tokenResponseSchema, type TokenIntrospection, type TokenResponse } from './schemas'
import { oauthBase } from './versions'

export type AppCredentials = { clientId: string; clientSecret: string }

export type HubSpotAuthProblem =
  | 'not-connected'
  | 'refresh-token-rejected'
  | 'app-credentials-rejected'
  | 'authorization-code-rejected'

export class HubSpotAuthError extends Error {
  public readonly name = 'HubSpotAuthError'
  public constructor(
    public readonly problem: HubSpotAuthProblem,
    message: string
  ) {
    super(message)
  }
}

export const fingerprint = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 16)

type Grant =
  | { grant_type: 'refresh_token'; refresh_token: string }
  | { grant_type: 'authorization_code'; code: string; redirect_uri: string }

// Both error shapes are read: RFC 6749 (error, error_description) and HubSpot's legacy one
// (status such as BAD_REFRESH_TOKEN, message).
export const classifyTokenError = (error: unknown, grant: Grant['grant_type']): HubSpotAuthError | undefined => {
  if (
    !(error instanceof HubSpotApiError) ||
    error.status === undefined ||
    error.status >= 500 ||
    error.status === 429
  ) {
    return undefined
  }
  const { status, message, error: code, error_description: description, category } = error.envelope
  const text = [status, code, description, message, category].filter(Boolean).join(' ').toLowerCase()
  if (/client/.test(text)) {
    return new HubSpotAuthError('app-credentials-rejected', 'HubSpot rejected the client ID or client secret')
  }
  if (grant === 'authorization_code') {
    if (/code|grant|redirect/.test(text)) {
      return new HubSpotAuthError('authorization-code-rejected', 'HubSpot rejected the authorization code')
    }
    return undefined
  }
  if (/refresh|invalid_grant|grant/.test(text)) {
    return new HubSpotAuthError('refresh-token-rejected', 'HubSpot rejected the refresh token')
  }
  return undefined
}

// A refresh may be repeated safely; a code is single-use.
const requestToken = async (http: HubSpotHttp, app: AppCredentials, grant: Grant): Promise<TokenResponse> => {
  try {
    return await http.send({
      method: 'POST',
      path: `${oauthBase}/token`,
      auth: 'none',
      retrySafe: grant.grant_type === 'refresh_token',
      form: { client_id: app.clientId, client_secret: app.clientSecret, ...grant },
      schema: tokenResponseSchema,
    })
  } catch (error) {
    throw classifyTokenError(error, grant.grant_type) ?? error
  }
}

export const requestTokenWithRefreshToken = (
  http: HubSpotHttp,
  app: AppCredentials,
  refreshToken: string
): Promise<TokenResponse> => requestToken(http, app, { grant_type: 'refresh_token', refresh_token: refreshToken })

export const requestTokenWithAuthorizationCode = (
  http: HubSpotHttp,
  app: AppCredentials,
  code: string,
  redirectUri: string
): Promise<TokenResponse> =>
  requestToken(http, app, { grant_type: 'authorization_code', code, redirect_uri: redirectUri })

// What HubSpot knows of a token: active, scopes, portal (hub_id) and app. The token travels in the body.
export const introspectToken = (
  http: HubSpotHttp,
  app: AppCredentials,
  token: string,
  kind: 'access_token' | 'refresh_token' = 'access_token'
): Promise<TokenIntrospection> =>
  http.send({
    method: 'POST',
    path: `${oauthBase}/token/introspect`,
    auth: 'none',
    retrySafe: true,
    form: { client_id: app.clientId, client_secret: app.clientSecret, token, token_type_hint: kind },
    schema: tokenIntrospectionSchema,
  })

// Revokes a refresh token (uninstall, or a connection replaced by a new one). Repeating is harmless.
export const revokeRefreshToken = (http: HubSpotHttp, app: AppCredentials, refreshToken: string): Promise<void> =>
  http.send({
    method: 'POST',
    path: `${oauthBase}/token/revoke`,
    auth: 'none',
    retrySafe: true,
    form: {
      client_id: app.clientId,
      client_secret: app.clientSecret,
      token: refreshToken,
      token_type_hint: 'refresh_token',
    },
    schema: undefined,
  })
