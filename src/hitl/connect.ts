// "Connect HubSpot" without curl: the connect link, <webhook URL>/oauth/start?key=…, sends the
// browser to HubSpot's consent page; /oauth/callback trades the code for tokens, keeps the refresh
// token in integration state, and finishes the setup that register could not do without it. The
// bare webhook URL (`/`) says what it is and where the link is.
import type { Response } from '@botpress/sdk'
import { randomBytes } from 'node:crypto'
import * as env from '../env'
import { introspectToken, requestTokenWithAuthorizationCode } from '../hubspot/oauth'
import { redirectUrlFor, scopesFor } from './app-requirements'
import { isConnectKey } from './connect-key'
import {
  type Binding,
  NONCE,
  cookie,
  cookieHolds,
  decodeState,
  encodeState,
  keyBrought,
  markUsed,
  readUsedStates,
  STATE_LIFETIME_MS,
} from './connect-proof'
import { keepConnection } from './connection'
import { readSetup, type Deps } from './context'
import { explain } from './errors'
import { page } from './pages'
import { resolveAppKind } from './setup/app-webhooks'
import { setUp } from './setup/setup'

// Every page of the flow says where the bot builder finds the connect link; none shows the link
// itself unless the request proved it comes from someone who has it (see `mayShowLink`).
export const WHERE_THE_LINK_IS =
  'Where to find the connect link: in Botpress, save the integration\'s configuration; the message "HubSpot is not connected" shows the link, and so does the integration\'s log (your bot › Logs). Once HubSpot is connected, a message asking you to reconnect HubSpot names it too.'

export const redirectUri = (deps: Deps) => redirectUrlFor(deps.webhookUrl)

const noStore = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }

// Without the key, nothing is connected: the page says where the bot builder finds the link.
const missingKeyPage = (): Response =>
  page(403, {
    title: 'This connect link is incomplete',
    tone: 'error',
    lines: [
      'Connecting HubSpot needs the link the integration gives you, which carries a key made from your configuration.',
      WHERE_THE_LINK_IS,
    ],
  })

// GET <webhook URL>/: what this address is; the connect link only for a request that brings its key.
export const homePage = (deps: Deps, query: string): Response => {
  const keyed = keyBrought(deps, new URLSearchParams(query)).valid
  return page(200, {
    title: 'HubSpot Inbox HITL',
    tone: 'info',
    lines: [
      `This is the integration's webhook URL. The HubSpot project for it: ${deps.webhookUrl}/hubspot-project.`,
      keyed
        ? `To connect HubSpot, open ${deps.connectUrl}.`
        : 'To connect HubSpot, open the connect link the integration gives you in Botpress.',
      WHERE_THE_LINK_IS,
    ],
  })
}

// GET /oauth/start?key=…: first sets the state cookie and comes back with `check` to see whether
// it arrives; then sends the browser to HubSpot's consent page with a state bound to the cookie, or
// to the key when the cookie did not arrive.
export const startConnection = async (deps: Deps, query: string, cookieHeader?: string): Promise<Response> => {
  const params = new URLSearchParams(query)
  const key = params.get('key')
  if (!isConnectKey(deps.config.clientSecret, deps.ctx.webhookId, key)) return missingKeyPage()
  const check = params.get('check')
  if (!check || !NONCE.test(check)) {
    const nonce = randomBytes(18).toString('base64url')
    const back = new URL(`${deps.webhookUrl}/oauth/start`)
    back.searchParams.set('key', key!)
    back.searchParams.set('check', nonce)
    return {
      status: 302,
      headers: { location: back.toString(), ...noStore, 'set-cookie': cookie(deps, nonce, STATE_LIFETIME_MS / 1000) },
      body: '',
    }
  }
  const binding: Binding = cookieHolds(deps, cookieHeader, check) ? 'cookie' : 'key'
  const { kind } = resolveAppKind(deps, await readSetup(deps))
  const { scope, optionalScope } = scopesFor(kind, deps.config)
  const url = new URL(env.hubspotAuthorizeUrl())
  url.searchParams.set('client_id', deps.config.clientId)
  url.searchParams.set('redirect_uri', redirectUri(deps))
  url.searchParams.set('scope', scope.join(' '))
  if (optionalScope.length) url.searchParams.set('optional_scope', optionalScope.join(' '))
  url.searchParams.set('state', encodeState(deps, { issuedAt: Date.now(), nonce: check, binding }))
  return { status: 302, headers: { location: url.toString(), ...noStore }, body: '' }
}

// The callback's answer also drops the state cookie: it served its one use.
const withStateCookieCleared = (deps: Deps, response: Response): Response => ({
  ...response,
  headers: { ...response.headers, 'set-cookie': cookie(deps, '', 0) },
})

const REFUSED_STATE = {
  invalid: { title: 'This connection link has expired', line: 'a link is valid for 30 minutes' },
  'other-browser': {
    title: 'This approval was started in another browser',
    line: 'open the connect link and approve in the same browser',
  },
  used: { title: 'This approval was already used', line: 'each approval connects once' },
}

// The confirmation a "key" state needs: the connect link (or its key), given again.
const confirmationPage = (deps: Deps, code: string, state: string, wrongKey: boolean): Response =>
  page(wrongKey ? 403 : 200, {
    title: wrongKey ? 'This is not the connect link of this integration' : 'Confirm the connection to HubSpot',
    tone: wrongKey ? 'error' : 'info',
    lines: [
      wrongKey
        ? "The link or key you entered does not match this integration's configuration; nothing was connected."
        : "HubSpot approved the connection. To finish, paste the connect link you opened (or only its key) below: this browser's cookie did not reach the integration, so the link is how it knows the approval is yours.",
      'Only go on if you opened the connect link yourself in the last 30 minutes. If someone else sent you to this page, close it: they may be trying to connect their own HubSpot portal to your bot.',
      WHERE_THE_LINK_IS,
    ],
    form: {
      action: redirectUri(deps),
      hidden: { code, state },
      field: { kind: 'secret', name: 'link', label: 'Connect link or key' },
      submit: 'Connect HubSpot',
    },
  })

// GET /oauth/callback: HubSpot's redirect after the consent (code and state, or error), or the
// confirmation of a "key" state (code, state and link).
export const finishConnection = async (
  deps: Deps,
  query: string,
  cookieHeader: string | undefined
): Promise<Response> => {
  const params = new URLSearchParams(query)
  const rawState = params.get('state')
  const state = decodeState(deps, rawState)
  const brought = keyBrought(deps, params)
  const browserProven = !!state && cookieHolds(deps, cookieHeader, state.nonce)
  // The link is shown only to a request that brought the key, or that comes from the browser that
  // started with it (its cookie matches a state issued to a request with the key).
  const mayShowLink = brought.valid || browserProven
  const startAgain = (why: string) => [
    mayShowLink ? `Start again from ${deps.connectUrl}; ${why}.` : `Start again from the connect link; ${why}.`,
    WHERE_THE_LINK_IS,
  ]

  const denied = params.get('error')
  if (denied) {
    return page(400, {
      title: 'HubSpot was not connected',
      tone: 'error',
      lines: [
        `HubSpot answered: ${params.get('error_description') || denied}.`,
        ...startAgain('you can approve again'),
      ],
    })
  }
  const code = params.get('code')
  const refuse = (why: keyof typeof REFUSED_STATE, status = 400) =>
    page(status, { title: REFUSED_STATE[why].title, tone: 'error', lines: startAgain(REFUSED_STATE[why].line) })
  if (!code || !state || !rawState) return refuse('invalid')
  const used = await readUsedStates(deps)
  if (used.includes(state.nonce)) return refuse('used')
  if (state.binding === 'cookie' && !browserProven) return refuse('other-browser')
  if (state.binding === 'key' && !browserProven && !brought.valid) {
    return confirmationPage(deps, code, rawState, brought.given)
  }
  await markUsed(deps, state.nonce, used)
  return withStateCookieCleared(deps, await completeConnection(deps, code))
}

// The approval is proven (cookie or key) and unused: trade the code and finish the setup. These
// pages may name the connect link (in the errors' fixes): the request proved it has it.
const completeConnection = async (deps: Deps, code: string): Promise<Response> => {
  try {
    const obtainedAt = Date.now()
    const token = await requestTokenWithAuthorizationCode(deps.hubspot, deps.config, code, redirectUri(deps))
    const portalId =
      token.hub_id !== undefined
        ? String(token.hub_id)
        : String((await introspectToken(deps.hubspot, deps.config, token.access_token)).hub_id)
    // Once set up for a portal, the connect page cannot move the integration to another portal:
    // anyone who learns the webhook URL could otherwise route the customers' chats to theirs.
    const servedPortal = (await readSetup(deps))?.portalId
    if (servedPortal && servedPortal !== portalId) {
      return page(409, {
        title: 'HubSpot was not connected',
        tone: 'error',
        lines: [
          `This integration already serves HubSpot portal ${servedPortal}; the approval was for portal ${portalId}.`,
          "To move to another portal, uninstall the integration in Botpress and install it again, or paste that portal's refresh token in the configuration.",
          WHERE_THE_LINK_IS,
        ],
      })
    }
    await keepConnection(deps, token, obtainedAt, portalId)
  } catch (error) {
    return page(400, {
      title: 'HubSpot was not connected',
      tone: 'error',
      lines: [explain(error, 'trading the authorization code', deps).message, WHERE_THE_LINK_IS],
    })
  }

  const lines: string[] = []
  if (deps.config.refreshToken) {
    lines.push(
      'The configuration also has a refresh token filled in; it takes precedence. Clear that field to use this connection.'
    )
  }
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
    return page(200, { title: 'HubSpot is connected', tone: 'ok', lines: [...lines, WHERE_THE_LINK_IS] })
  } catch (error) {
    return page(200, {
      title: 'HubSpot is connected, but setup is not finished',
      tone: 'error',
      lines: [
        ...explain(error, 'setting up the custom channel', deps).message.split('\n'),
        ...lines,
        WHERE_THE_LINK_IS,
      ],
    })
  }
}
