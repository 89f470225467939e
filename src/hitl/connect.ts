// "Connect HubSpot" without curl: <webhook URL>/oauth/start sends the browser to HubSpot's consent
// page; /oauth/callback trades the code for tokens, keeps the refresh token in integration state,
// and finishes the setup that register could not do without it.
import { createHmac, randomBytes } from 'node:crypto'
import type { Response } from '@botpress/sdk'
import * as env from '../env'
import { currentRefreshToken, fingerprint, introspectToken, refreshMomentFor, requestTokenWithAuthorizationCode, TokenManager } from '../hubspot/oauth'
import { redirectUrlFor, scopesFor } from './app-requirements'
import { constantTimeEqual } from '../hubspot/signature'
import { isConnectKey } from './connect-key'
import { isNotFound, oauthStore, readSetup, type Deps } from './context'
import { explain } from './errors'
import { page } from './pages'
import { resolveAppKind, revokeQuietly, setUp } from './setup'

const STATE_LIFETIME_MS = 30 * 60 * 1000
const USED_STATES_KEPT = 50

// The OAuth state is `issuedAt.nonce.signature`, signed with the client secret. It is bound to the
// browser that started the flow by a short-lived HttpOnly cookie holding the nonce (a callback from
// another browser is refused: login CSRF), and used once.
const signState = (deps: Deps, issuedAt: number, nonce: string) =>
  createHmac('sha256', deps.config.clientSecret).update(`${deps.ctx.webhookId}.${issuedAt}.${nonce}`).digest('base64url')

const cookieName = (deps: Deps) => `hitl_connect_${createHmac('sha256', 'cookie').update(deps.ctx.webhookId).digest('hex').slice(0, 12)}`

const cookie = (deps: Deps, value: string, maxAgeSeconds: number): string => {
  const url = new URL(deps.webhookUrl)
  const secure = url.protocol === 'https:' ? '; Secure' : ''
  return `${cookieName(deps)}=${value}; Path=${url.pathname || '/'}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`
}

const cookieValue = (deps: Deps, header: string | undefined): string | undefined => {
  const name = cookieName(deps)
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

type StateCheck = { ok: true } | { ok: false; why: 'invalid' | 'other-browser' | 'used' }

const readUsedStates = async (deps: Deps): Promise<string[]> => {
  try {
    const { state } = await deps.client.getState({ type: 'integration', id: deps.ctx.integrationId, name: 'connect' })
    return (state.payload as { usedStates?: string[] } | null)?.usedStates ?? []
  } catch (error) {
    if (isNotFound(error)) return []
    throw error
  }
}

const checkState = async (deps: Deps, state: string | null, cookieHeader: string | undefined, now = Date.now()): Promise<StateCheck> => {
  const [issued, nonce, signature] = (state ?? '').split('.')
  const issuedAt = Number(issued)
  if (!nonce || !signature || !Number.isFinite(issuedAt) || now - issuedAt > STATE_LIFETIME_MS || issuedAt - now > 60_000) return { ok: false, why: 'invalid' }
  if (!constantTimeEqual(signature, signState(deps, issuedAt, nonce))) return { ok: false, why: 'invalid' }
  const fromCookie = cookieValue(deps, cookieHeader)
  if (!fromCookie || !constantTimeEqual(fromCookie, nonce)) return { ok: false, why: 'other-browser' }
  // Single use: the nonce is recorded before the code is traded.
  const used = await readUsedStates(deps)
  if (used.includes(nonce)) return { ok: false, why: 'used' }
  await deps.client.setState({ type: 'integration', id: deps.ctx.integrationId, name: 'connect', payload: { usedStates: [...used, nonce].slice(-USED_STATES_KEPT) } })
  return { ok: true }
}

export const redirectUri = (deps: Deps) => redirectUrlFor(deps.webhookUrl)

// Without the key, nothing is connected: the page says where the bot builder finds the link.
const missingKeyPage = (): Response =>
  page(403, {
    title: 'This connect link is incomplete',
    tone: 'error',
    lines: [
      'Connecting HubSpot needs the link the integration gives you, which carries a key made from your configuration.',
      'In Botpress, save the integration\'s configuration: the message "HubSpot is not connected" shows the link, and so does the integration\'s log (your bot › Logs).',
    ],
  })

export const startConnection = async (deps: Deps, query: string): Promise<Response> => {
  if (!isConnectKey(deps.config.clientSecret, deps.ctx.webhookId, new URLSearchParams(query).get('key'))) return missingKeyPage()
  const { kind } = resolveAppKind(deps, await readSetup(deps))
  const { scope, optionalScope } = scopesFor(kind, deps.config)
  const issuedAt = Date.now()
  const nonce = randomBytes(18).toString('base64url')
  const url = new URL(env.hubspotAuthorizeUrl())
  url.searchParams.set('client_id', deps.config.clientId)
  url.searchParams.set('redirect_uri', redirectUri(deps))
  url.searchParams.set('scope', scope.join(' '))
  if (optionalScope.length) url.searchParams.set('optional_scope', optionalScope.join(' '))
  url.searchParams.set('state', `${issuedAt}.${nonce}.${signState(deps, issuedAt, nonce)}`)
  return { status: 302, headers: { location: url.toString(), 'cache-control': 'no-store', 'set-cookie': cookie(deps, nonce, STATE_LIFETIME_MS / 1000) }, body: '' }
}

// The callback's answer also drops the state cookie: it served its one use.
const withStateCookieCleared = (deps: Deps, response: Response): Response => ({
  ...response,
  headers: { ...response.headers, 'set-cookie': cookie(deps, '', 0) },
})

const REFUSED_STATE: Record<Exclude<StateCheck, { ok: true }>['why'], { title: string; line: string }> = {
  invalid: { title: 'This connection link has expired', line: 'a link is valid for 30 minutes' },
  'other-browser': { title: 'This approval was started in another browser', line: 'open the connect link and approve in the same browser' },
  used: { title: 'This approval was already used', line: 'each approval connects once' },
}

export const finishConnection = async (deps: Deps, query: string, cookieHeader: string | undefined): Promise<Response> => {
  const params = new URLSearchParams(query)
  const denied = params.get('error')
  if (denied) {
    return page(400, {
      title: 'HubSpot was not connected',
      tone: 'error',
      lines: [`HubSpot answered: ${params.get('error_description') || denied}.`, `Try again from ${deps.connectUrl}.`],
    })
  }
  const code = params.get('code')
  const check: StateCheck = code ? await checkState(deps, params.get('state'), cookieHeader) : { ok: false, why: 'invalid' }
  if (!check.ok || !code) {
    const refused = REFUSED_STATE[check.ok ? 'invalid' : check.why]
    return page(400, { title: refused.title, tone: 'error', lines: [`Start again from ${deps.connectUrl}; ${refused.line}.`] })
  }
  return withStateCookieCleared(deps, await completeConnection(deps, code))
}

// The approval is this browser's and unused: trade the code and finish the setup.
const completeConnection = async (deps: Deps, code: string): Promise<Response> => {
  try {
    const obtainedAt = Date.now()
    const token = await requestTokenWithAuthorizationCode(deps.hubspot, deps.config, code, redirectUri(deps))
    const portalId = token.hub_id !== undefined ? String(token.hub_id) : String((await introspectToken(deps.hubspot, deps.config, token.access_token)).hub_id)
    // Once set up for a portal, the connect page cannot move the integration to another portal:
    // anyone who learns the webhook URL could otherwise route the customers' chats to theirs.
    const servedPortal = (await readSetup(deps))?.portalId
    if (servedPortal && servedPortal !== portalId) {
      return page(409, {
        title: 'HubSpot was not connected',
        tone: 'error',
        lines: [
          `This integration already serves HubSpot portal ${servedPortal}; the approval was for portal ${portalId}.`,
          'To move to another portal, uninstall the integration in Botpress and install it again, or paste that portal\'s refresh token in the configuration.',
        ],
      })
    }
    const store = oauthStore(deps.client, deps.ctx.integrationId)
    const replaced = currentRefreshToken(undefined, await store.load())
    await deps.client.setState({
      type: 'integration',
      id: deps.ctx.integrationId,
      name: 'oauth',
      payload: {
        refreshToken: token.refresh_token,
        accessToken: token.access_token,
        expiresAt: obtainedAt + token.expires_in * 1000,
        refreshAt: refreshMomentFor(obtainedAt, token.expires_in),
        tokenOf: fingerprint(token.refresh_token),
        portalId,
      },
    })
    TokenManager.forget(`${deps.ctx.integrationId}:`)
    // A new connection replaces the previous one: its token is no longer needed anywhere.
    if (replaced && replaced !== token.refresh_token) await revokeQuietly(deps, replaced, 'HubSpot was connected again')
  } catch (error) {
    return page(502, { title: 'HubSpot was not connected', tone: 'error', lines: [explain(error, 'trading the authorization code', deps.connectUrl).message] })
  }

  const lines: string[] = []
  if (deps.config.refreshToken) lines.push('The configuration also has a refresh token filled in; it takes precedence. Clear that field to use this connection.')
  try {
    const outcome = await setUp(deps)
    if (outcome.status === 'ready') {
      const inboxes = Object.keys(outcome.setup.channelAccounts)
      lines.unshift(
        `Portal ${outcome.setup.portalId ?? ''} is connected.`.replace('  ', ' '),
        `Custom channel ${outcome.setup.channelId} is ready, connected to inbox${inboxes.length > 1 ? 'es' : ''} ${inboxes.join(', ')}.`,
        'You can close this page: escalations now reach HubSpot.'
      )
    }
    return page(200, { title: 'HubSpot is connected', tone: 'ok', lines })
  } catch (error) {
    return page(200, {
      title: 'HubSpot is connected, but setup is not finished',
      tone: 'error',
      lines: [...explain(error, 'setting up the custom channel', deps.connectUrl).message.split('\n'), ...lines],
    })
  }
}
