// "Connect HubSpot" without curl: <webhook URL>/oauth/start sends the browser to HubSpot's consent
// page; /oauth/callback trades the code for tokens, keeps the refresh token in integration state,
// and finishes the setup that register could not do without it.
import { createHmac } from 'node:crypto'
import type { Response } from '@botpress/sdk'
import * as env from '../env'
import { currentRefreshToken, fingerprint, introspectToken, refreshMomentFor, requestTokenWithAuthorizationCode, TokenManager } from '../hubspot/oauth'
import { redirectUrlFor, scopesFor } from './app-requirements'
import { constantTimeEqual } from '../hubspot/signature'
import { oauthStore, readSetup, type Deps } from './context'
import { explain } from './errors'
import { page } from './pages'
import { resolveAppKind, revokeQuietly, setUp } from './setup'

const STATE_LIFETIME_MS = 30 * 60 * 1000

// The OAuth state is signed with the client secret, so no storage is needed to check it.
const signState = (deps: Deps, issuedAt: number) =>
  createHmac('sha256', deps.config.clientSecret).update(`${deps.ctx.webhookId}.${issuedAt}`).digest('base64url')

const makeState = (deps: Deps, now = Date.now()) => `${now}.${signState(deps, now)}`

const stateIsValid = (deps: Deps, state: string | null, now = Date.now()): boolean => {
  const [issued, signature] = (state ?? '').split('.')
  const issuedAt = Number(issued)
  if (!signature || !Number.isFinite(issuedAt) || now - issuedAt > STATE_LIFETIME_MS || issuedAt - now > 60_000) return false
  return constantTimeEqual(signature, signState(deps, issuedAt))
}

export const redirectUri = (deps: Deps) => redirectUrlFor(deps.webhookUrl)

export const startConnection = async (deps: Deps): Promise<Response> => {
  const { kind } = resolveAppKind(deps, await readSetup(deps))
  const { scope, optionalScope } = scopesFor(kind, deps.config)
  const url = new URL(env.hubspotAuthorizeUrl())
  url.searchParams.set('client_id', deps.config.clientId)
  url.searchParams.set('redirect_uri', redirectUri(deps))
  url.searchParams.set('scope', scope.join(' '))
  if (optionalScope.length) url.searchParams.set('optional_scope', optionalScope.join(' '))
  url.searchParams.set('state', makeState(deps))
  return { status: 302, headers: { location: url.toString(), 'cache-control': 'no-store' }, body: '' }
}

export const finishConnection = async (deps: Deps, query: string): Promise<Response> => {
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
  if (!code || !stateIsValid(deps, params.get('state'))) {
    return page(400, {
      title: 'This connection link has expired',
      tone: 'error',
      lines: [`Start again from ${deps.connectUrl}; a link is valid for 30 minutes.`],
    })
  }

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
