// OAuth: the authorize page (auto-approves, or shows the consent page of consent.ts), the token endpoint on /oauth/2026-03/ (and v3, and v1
// until its removal), introspection and revocation on /oauth/2026-03/, the v1 token-info routes.
import { randomUUID } from 'node:crypto'
import {
  tokenBodySchema,
  tokenIntrospectionSchema,
  tokenRequestSchema,
  tokenResponseSchema,
} from '../../../src/hubspot/schemas'
import { issueAccessToken, issueRefreshToken, secondsLeft } from '../auth'
import { apiError, notFound, oauthError, validationError, type OAuthErrorStatus } from '../errors'
import { jsonReply, noContent, respond, type Handler, type Reply, type RequestContext } from '../http'
import { accessTokenInfoSchema, refreshTokenInfoSchema } from '../local-schemas'
import type { RefreshTokenRecord } from '../portal'
import type { RouteTable } from '../router'
import { OAUTH_V1_REMOVED_ON, installCapOf, todayOf, type StandInState } from '../state'
import { consentAnswer } from './consent'

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
    if (!state.settings.refreshTokenRotation) return tokenResponse(state, refresh)
    // Rotation: the answer carries a new refresh token with the same grant; the old one is dead.
    refresh.revoked = true
    return tokenResponse(state, issueRefreshToken(state, { scopes: refresh.scopes }))
  }
  const code = state.portal.tokens.authCodes.get(request.code)
  if (!code || code.used || code.clientId !== request.client_id) {
    throw oauthError('BAD_AUTH_CODE', 'missing or unknown auth code')
  }
  if (code.redirectUri !== request.redirect_uri) {
    throw oauthError('BAD_REDIRECT_URI', 'redirect_uri does not match the one used to authorize')
  }
  code.used = true
  const refresh = state.portal.tokens.refresh.get(code.refreshToken)
  if (!refresh || refresh.revoked) throw oauthError('BAD_AUTH_CODE', 'missing or unknown auth code')
  return tokenResponse(state, refresh)
}

// A project app's install URL must carry every required scope in `scope`, may ask for its optional
// scopes in `optional_scope`, nothing else, and must use one of its redirect URLs (HubSpot shows an
// error page otherwise). Without an uploaded project (or for a legacy app) the requested scopes are
// granted as asked.
const grantedScopes = (
  state: StandInState,
  redirectUri: string,
  asked: string[],
  askedOptional: string[]
): string[] => {
  const auth = state.settings.appKind === 'project' ? state.appAuth : null
  if (!auth) return [...asked, ...askedOptional]
  if (!auth.redirectUrls.includes(redirectUri)) {
    throw validationError(
      `redirect_uri ${redirectUri} is not one of the app's redirect URLs (${auth.redirectUrls.join(', ') || 'none'}).`
    )
  }
  const missing = auth.requiredScopes.filter((scope) => !asked.includes(scope))
  if (missing.length) {
    throw validationError(`The install URL's scope parameter lacks required scopes of the app: ${missing.join(', ')}.`)
  }
  const declared = new Set([...auth.requiredScopes, ...auth.optionalScopes])
  const undeclared = [...asked, ...askedOptional].filter((scope) => !declared.has(scope))
  if (undeclared.length) {
    throw validationError(`The install URL asks for scopes the app does not declare: ${undeclared.join(', ')}.`)
  }
  return [...auth.requiredScopes, ...askedOptional.filter((scope) => auth.optionalScopes.includes(scope))]
}

// An approval in a portal the app is not installed in installs it, unless the app's cap is reached.
const checkInstallCap = (state: StandInState): void => {
  if (state.installs.has(state.portalId)) return
  const cap = installCapOf(state)
  if (cap !== null && state.installs.size >= cap) {
    throw validationError(
      `This app has reached its install limit (${cap} accounts) and cannot be installed in portal ${state.portalId}.`
    )
  }
}

const authorize = (state: StandInState, ctx: RequestContext): Reply => {
  // /oauth/{portalId}/authorize: the account the user picked on HubSpot's account chooser.
  if (ctx.params.portalId !== undefined && ctx.params.portalId !== state.portalId) {
    throw notFound(`Portal ${ctx.params.portalId} does not exist or the signed-in user has no access to it.`)
  }
  const clientId = ctx.query.get('client_id')
  const redirectUri = ctx.query.get('redirect_uri')
  if (clientId !== state.app.clientId) {
    throw validationError(`client_id ${clientId ?? '(missing)'} is not the client id of an app.`)
  }
  if (!redirectUri) throw validationError('redirect_uri is required.')
  let target: URL
  try {
    target = new URL(redirectUri)
  } catch {
    throw validationError(`redirect_uri ${redirectUri} is not an absolute URL.`)
  }
  const scopesOf = (value: string | null) => (value ?? '').split(/[\s+]+/).filter((scope) => scope !== '')
  const [asked, askedOptional] = [scopesOf(ctx.query.get('scope')), scopesOf(ctx.query.get('optional_scope'))]
  const requested = grantedScopes(state, redirectUri, asked, askedOptional)
  const stateParam = ctx.query.get('state')
  // With the consent page on, the user picks the account and approves (or cancels) first.
  const consent = consentAnswer(state, ctx, requested)
  if (consent.kind === 'page') return consent.reply
  if (state.settings.denyAuthorize || consent.kind === 'denied') {
    target.searchParams.set('error', 'access_denied')
    target.searchParams.set('error_description', 'The user denied the app access to the portal.')
  } else {
    checkInstallCap(state)
    if (!state.installs.has(state.portalId)) state.installs.set(state.portalId, { installedAt: Date.now() })
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

const appBody = (state: StandInState, ctx: RequestContext) => {
  const parsed = tokenBodySchema.safeParse(formOf(ctx))
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'token')
    if (field === 'client_id' || field === 'client_secret') {
      throw oauthError('BAD_CLIENT_ID', 'missing or invalid client id')
    }
    throw validationError(`${field} is required in the form body.`)
  }
  if (parsed.data.client_id !== state.app.clientId || parsed.data.client_secret !== state.app.clientSecret) {
    throw oauthError('BAD_CLIENT_ID', 'missing or invalid client id')
  }
  return parsed.data
}

const introspect = (state: StandInState, ctx: RequestContext): Reply => {
  const { token } = appBody(state, ctx)
  const access = state.portal.tokens.access.get(token)
  const refresh = state.portal.tokens.refresh.get(token)
  const base = {
    token,
    hub_id: Number(state.portalId),
    app_id: Number(state.app.appId),
    client_id: state.app.clientId,
    hub_domain: state.hubDomain,
    is_private_distribution: state.settings.appKind === 'project',
    token_type: 'bearer',
  }
  if (access && access.expiresAt > Date.now()) {
    return respond(tokenIntrospectionSchema, {
      active: true,
      ...base,
      scopes: access.scopes,
      token_use: 'access_token',
      expires_in: secondsLeft(access),
      user_id: access.userId,
      user: access.user,
      signed_access_token: {
        appId: base.app_id,
        hubId: base.hub_id,
        expiresAt: access.expiresAt,
        scopes: access.scopes.join(' '),
        userId: access.userId,
      },
    })
  }
  if (refresh && !refresh.revoked) {
    return respond(tokenIntrospectionSchema, {
      active: true,
      ...base,
      scopes: refresh.scopes,
      token_use: 'refresh_token',
      user_id: refresh.userId,
      user: refresh.user,
    })
  }
  return jsonReply({ active: false })
}

// Revoking an unknown or already revoked token is accepted too: nothing is left to revoke.
const revoke = (state: StandInState, ctx: RequestContext): Reply => {
  const { token } = appBody(state, ctx)
  const refresh = state.portal.tokens.refresh.get(token)
  if (refresh) {
    refresh.revoked = true
    for (const access of state.portal.tokens.access.values()) {
      if (access.refreshToken === token) access.expiresAt = Math.min(access.expiresAt, Date.now() - 1)
    }
  }
  return { status: 200 }
}

// The OAuth v1 endpoints are removed on 2027-02-16: from then on they answer as an unknown route.
const untilV1Removal =
  (state: StandInState, handler: Handler): Handler =>
  (ctx) => {
    if (todayOf(state) >= OAUTH_V1_REMOVED_ON) {
      throw apiError(
        404,
        'OBJECT_NOT_FOUND',
        `${ctx.method} ${ctx.url.pathname} was removed on ${OAUTH_V1_REMOVED_ON}; use /oauth/2026-03/.`
      )
    }
    return handler(ctx)
  }

export const registerOAuthRoutes = (routes: RouteTable, state: StandInState): void => {
  const v1 = (handler: Handler) => untilV1Removal(state, handler)
  routes.add('GET', ['/oauth/authorize', '/oauth/:portalId/authorize'], {
    auth: 'none',
    handler: (ctx) => authorize(state, ctx),
  })
  routes.add('POST', ['/oauth/v3/token', '/oauth/2026-03/token'], {
    auth: 'none',
    handler: (ctx) => exchangeToken(state, ctx),
  })
  routes.add('POST', ['/oauth/v3/token/introspect', '/oauth/2026-03/token/introspect'], {
    auth: 'none',
    handler: (ctx) => introspect(state, ctx),
  })
  routes.add('POST', ['/oauth/v3/token/revoke', '/oauth/2026-03/token/revoke'], {
    auth: 'none',
    handler: (ctx) => revoke(state, ctx),
  })
  routes.add('POST', '/oauth/v1/token', { auth: 'none', handler: v1((ctx) => exchangeToken(state, ctx)) })
  routes.add('GET', '/oauth/v1/access-tokens/:token', {
    auth: 'none',
    handler: v1((ctx) => accessTokenInfo(state, ctx)),
  })
  routes.add('GET', '/oauth/v1/refresh-tokens/:token', {
    auth: 'none',
    handler: v1((ctx) => refreshTokenInfo(state, ctx)),
  })
  routes.add('DELETE', '/oauth/v1/refresh-tokens/:token', {
    auth: 'none',
    handler: v1((ctx) => {
      const refresh = state.portal.tokens.refresh.get(ctx.params.token)
      if (!refresh || refresh.revoked) throw notFound(`Refresh token ${ctx.params.token.slice(0, 6)}… does not exist.`)
      refresh.revoked = true
      return noContent()
    }),
  })
}
