// OAuth tokens of the portal and the checks behind bearer and developer-key authentication.
import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import {
  credentialsNotFound,
  expiredToken,
  forbidden,
  invalidApiKey,
  invalidToken,
  missingScopes,
  validationError,
} from './errors'
import { bearerTokenOf } from './http'
import type { AccessTokenRecord, RefreshTokenRecord } from './portal'
import type { StandInState } from './state'

export const issueRefreshToken = (
  state: StandInState,
  options: { scopes?: string[]; token?: string } = {}
): RefreshTokenRecord => {
  const record: RefreshTokenRecord = {
    token: options.token ?? `na1-${randomUUID()}`,
    scopes: [...(options.scopes ?? state.defaultScopes)],
    userId: state.user.id,
    user: state.user.email,
    createdAt: Date.now(),
    revoked: false,
  }
  state.portal.tokens.refresh.set(record.token, record)
  return record
}

export const issueAccessToken = (state: StandInState, refresh: RefreshTokenRecord): AccessTokenRecord => {
  const issuedAt = Date.now()
  const record: AccessTokenRecord = {
    token: `CN${randomBytes(24).toString('base64url')}`,
    refreshToken: refresh.token,
    scopes: [...refresh.scopes],
    userId: refresh.userId,
    user: refresh.user,
    issuedAt,
    expiresAt: issuedAt + state.settings.tokenTtlSeconds * 1000,
  }
  state.portal.tokens.access.set(record.token, record)
  return record
}

export const secondsLeft = (token: AccessTokenRecord, now = Date.now()): number =>
  Math.max(0, Math.floor((token.expiresAt - now) / 1000))

export const authenticateBearer = (state: StandInState, headers: IncomingHttpHeaders): AccessTokenRecord => {
  const presented = bearerTokenOf(headers)
  if (!presented) throw credentialsNotFound()
  const token = state.portal.tokens.access.get(presented)
  if (!token) throw invalidToken()
  const now = Date.now()
  if (token.expiresAt <= now) throw expiredToken(Math.max(1, Math.floor((now - token.expiresAt) / 1000)))
  return token
}

export const requireScopes = (token: AccessTokenRecord, anyOf: string[]): void => {
  if (anyOf.length > 0 && !anyOf.some((scope) => token.scopes.includes(scope))) throw missingScopes(anyOf)
}

const checkAppId = (state: StandInState, appId: string): void => {
  if (appId !== state.app.appId) {
    throw forbidden(
      `App ${appId} does not belong to this developer account. Use the id of the app the developer API key belongs to (${state.app.appId}).`
    )
  }
}

// Channel CRUD accepts the developer key (hapikey + appId) or a bearer token of the installed portal.
export const authenticateDeveloper = (
  state: StandInState,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  options: { appIdInPath?: string; allowBearer: boolean }
): { kind: 'developerKey'; appId: string } | { kind: 'bearer'; token: AccessTokenRecord } => {
  const hapikey = query.get('hapikey')
  const appId = options.appIdInPath ?? query.get('appId') ?? undefined
  if (hapikey !== null && hapikey === state.app.developerApiKey) {
    if (appId === undefined || appId === '') {
      throw validationError('The appId query parameter is required with a developer API key.')
    }
    checkAppId(state, appId)
    return { kind: 'developerKey', appId }
  }
  if (options.allowBearer && bearerTokenOf(headers)) {
    const token = authenticateBearer(state, headers)
    if (appId !== undefined && appId !== '') checkAppId(state, appId)
    return { kind: 'bearer', token }
  }
  if (hapikey !== null) throw invalidApiKey()
  throw credentialsNotFound()
}
