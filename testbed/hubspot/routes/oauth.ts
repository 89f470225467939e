// OAuth: the authorize page (auto-approves), the token endpoint, token info, introspection.
import { randomUUID } from 'node:crypto'
import { accessTokenInfoSchema, tokenRequestSchema, tokenResponseSchema } from '../../../src/hubspot/schemas'
import { issueAccessToken, issueRefreshToken, secondsLeft } from '../auth'
import { notFound, oauthError, validationError, type OAuthErrorStatus } from '../errors'
import { jsonReply, noContent, respond, type Reply, type RequestContext } from '../http'
import { refreshTokenInfoSchema, tokenIntrospectionSchema } from '../local-schemas'
import type { RefreshTokenRecord } from '../portal'
import type { RouteTable } from '../router'
import type { StandInState } from '../state'

const formOf = (ctx: RequestContext): Record<string, string> => {
  const contentType = ctx.headers['content-type'] ?? ''
  if (!contentType.includes('application/x-www-form-urlencoded')) return {}
  return Object.fromEntries(new URLSearchParams(ctx.rawBody.toString('utf8')))
}

// Which legacy error a malformed token request earns, by the first field at fault.
const errorForField = (field: string): [OAuthErrorStatus, string] => {
  switch (field) {
    case 'client_id':
    case 'client_secret':
      return ['BAD_CLIENT_ID', 'missing or invalid client id']
    case 'refresh_token':
      return ['BAD_REFRESH_TOKEN', 'missing or invalid refresh token']
    case 'code':
      return ['BAD_AUTH_CODE', 'missing or unknown auth code']
    case 'redirect_uri':
      return ['BAD_REDIRECT_URI', 'missing or mismatched redirect uri']
    default:
      return ['BAD_GRANT_TYPE', 'missing or unknown grant type']
  }
}

const tokenResponse = (state: StandInState, refresh: RefreshTokenRecord): Reply => {
  const access = issueAccessToken(state, refresh)
  return respond(tokenResponseSchema, {
    access_token: access.token,
    refresh_token: refresh.token,
    expires_in: state.settings.tokenTtlSeconds,
    token_type: 'bearer',
    token_use: 'access_token',
    hub_id: Number(state.portalId),
    user_id: refresh.userId,
    scopes: [...refresh.scopes],
  })
}

const exchangeToken = (state: StandInState, ctx: RequestContext): Reply => {
  const parsed = tokenRequestSchema.safeParse(formOf(ctx))
  if (!parsed.success) {
    const [status, message] = errorForField(String(parsed.error.issues[0]?.path[0] ?? 'grant_type'))
    throw oauthError(status, message)
  }
  const request = parsed.data
  if (request.client_id !== state.app.clientId || request.client_secret !== state.app.clientSecret) {
    throw oauthError('BAD_CLIENT_ID', 'missing or invalid client id')
  }
  if (request.grant_type === 'refresh_token') {
    const refresh = state.portal.tokens.refresh.get(request.refresh_token)
    if (!refresh || refresh.revoked) throw oauthError('BAD_REFRESH_TOKEN', 'missing or invalid refresh token')
    return tokenResponse(state, refresh)
  }
  const code = state.portal.tokens.authCodes.get(request.code)
  if (!code || code.used || code.clientId !== request.client_id) throw oauthError('BAD_AUTH_CODE', 'missing or unknown auth code')
  if (code.redirectUri !== request.redirect_uri) throw oauthError('BAD_REDIRECT_URI', 'redirect_uri does not match the one used to authorize')
  code.used = true
  const refresh = state.portal.tokens.refresh.get(code.refreshToken)
  if (!refresh || refresh.revoked) throw oauthError('BAD_AUTH_CODE', 'missing or unknown auth code')
  return tokenResponse(state, refresh)
}

const authorize = (state: StandInState, ctx: RequestContext): Reply => {
  const clientId = ctx.query.get('client_id')
  const redirectUri = ctx.query.get('redirect_uri')
  if (clientId !== state.app.clientId) throw validationError(`client_id ${clientId ?? '(missing)'} is not the client id of an app.`)
  if (!redirectUri) throw validationError('redirect_uri is required.')
  let target: URL
  try {
    target = new URL(redirectUri)
  } catch {
    throw validationError(`redirect_uri ${redirectUri} is not an absolute URL.`)
  }
  const requested = [ctx.query.get('scope'), ctx.query.get('optional_scope')]
    .flatMap((value) => (value ?? '').split(/[\s+]+/))
    .filter((scope) => scope !== '')
  const stateParam = ctx.query.get('state')
  if (state.settings.denyAuthorize) {
    target.searchParams.set('error', 'access_denied')
    target.searchParams.set('error_description', 'The user denied the app access to the portal.')
  } else {
    const refresh = issueRefreshToken(state, requested.length > 0 ? { scopes: [...new Set(requested)] } : {})
    const code = randomUUID()
    state.portal.tokens.authCodes.set(code, { code, clientId, redirectUri, refreshToken: refresh.token, used: false })
    target.searchParams.set('code', code)
  }
  if (stateParam !== null) target.searchParams.set('state', stateParam)
  return { status: 302, headers: { Location: target.toString() } }
}

const accessTokenInfo = (state: StandInState, ctx: RequestContext): Reply => {
  const token = state.portal.tokens.access.get(ctx.params.token)
  if (!token) throw notFound(`Access token ${ctx.params.token.slice(0, 6)}… does not exist.`)
  return respond(accessTokenInfoSchema, {
    token: token.token,
    user: token.user,
    hub_domain: state.hubDomain,
    scopes: token.scopes,
    hub_id: Number(state.portalId),
    app_id: Number(state.app.appId),
    expires_in: secondsLeft(token),
    user_id: token.userId,
    token_type: 'access',
  })
}

const refreshTokenInfo = (state: StandInState, ctx: RequestContext): Reply => {
  const refresh = state.portal.tokens.refresh.get(ctx.params.token)
  if (!refresh || refresh.revoked) throw notFound(`Refresh token ${ctx.params.token.slice(0, 6)}… does not exist.`)
  return respond(refreshTokenInfoSchema, {
    token: refresh.token,
    user: refresh.user,
    hub_domain: state.hubDomain,
    scopes: refresh.scopes,
    hub_id: Number(state.portalId),
    client_id: state.app.clientId,
    user_id: refresh.userId,
    token_type: 'refresh',
  })
}

const introspect = (state: StandInState, ctx: RequestContext): Reply => {
  const form = formOf(ctx)
  if (form.client_id !== state.app.clientId || form.client_secret !== state.app.clientSecret) {
    throw oauthError('BAD_CLIENT_ID', 'missing or invalid client id')
  }
  const access = state.portal.tokens.access.get(form.token ?? '')
  const refresh = state.portal.tokens.refresh.get(form.token ?? '')
  const base = { hub_id: Number(state.portalId), app_id: Number(state.app.appId), client_id: state.app.clientId }
  if (access && access.expiresAt > Date.now()) {
    return respond(tokenIntrospectionSchema, { active: true, ...base, scopes: access.scopes, token_use: 'access_token', expires_in: secondsLeft(access), user_id: access.userId })
  }
  if (refresh && !refresh.revoked) {
    return respond(tokenIntrospectionSchema, { active: true, ...base, scopes: refresh.scopes, token_use: 'refresh_token', user_id: refresh.userId })
  }
  return jsonReply({ active: false })
}

export const registerOAuthRoutes = (routes: RouteTable, state: StandInState): void => {
  routes.add('GET', '/oauth/authorize', { auth: 'none', handler: (ctx) => authorize(state, ctx) })
  routes.add('POST', ['/oauth/v1/token', '/oauth/v3/token', '/oauth/2026-03/token'], { auth: 'none', handler: (ctx) => exchangeToken(state, ctx) })
  routes.add('POST', '/oauth/v3/token/introspect', { auth: 'none', handler: (ctx) => introspect(state, ctx) })
  routes.add('GET', '/oauth/v1/access-tokens/:token', { auth: 'none', handler: (ctx) => accessTokenInfo(state, ctx) })
  routes.add('GET', '/oauth/v1/refresh-tokens/:token', { auth: 'none', handler: (ctx) => refreshTokenInfo(state, ctx) })
  routes.add('DELETE', '/oauth/v1/refresh-tokens/:token', {
    auth: 'none',
    handler: (ctx) => {
      const refresh = state.portal.tokens.refresh.get(ctx.params.token)
      if (!refresh || refresh.revoked) throw notFound(`Refresh token ${ctx.params.token.slice(0, 6)}… does not exist.`)
      refresh.revoked = true
      return noContent()
    },
  })
}
