// One-click connect: the publisher's HubSpot app, connected through Botpress's OAuth route.
//
// - The Connect button (linkTemplate.vrl) opens <webhook base>/oauth/start?state=<webhook ID>;
//   Botpress routes it to this installation by `state`, and the page sends the browser to HubSpot's
//   consent page for the publisher app, with the redirect <webhook base>/oauth (one URL for every
//   installation, as a marketplace app's redirect must be) and the same state.
// - HubSpot sends the browser back to <webhook base>/oauth?code=…&state=<webhook ID>; Botpress
//   routes it here again. The code is traded, the portal learnt (token introspection), the portal
//   claimed as this installation's identifier (so Botpress routes that portal's app webhooks here),
//   the setup finished, and the page confirms the portal. When the configuration names no inbox, the
//   page lists the portal's inboxes to pick from (GET /oauth/inbox; inbox-choice.ts).
//
// The state is the webhook ID and nothing else (that is what Botpress routes by), so anyone who
// knows a webhook ID can start this flow: an installation connected to a portal is never moved to
// another one by it.
import type { Response } from '@botpress/sdk'
import * as env from '../env'
import { listInboxes } from '../hubspot/conversations'
import { introspectToken, requestTokenWithAuthorizationCode, revokeRefreshToken } from '../hubspot/oauth'
import type { Inbox } from '../hubspot/schemas'
import { scopesFor } from './app-requirements'
import { keepConnection } from './connection'
import { oauthStore, readSetup, type Deps } from './context'
import { explain } from './errors'
import { isPickProof, pickedInboxFor, pickProofFor, readInboxChoice, writeInboxChoice } from './inbox-choice'
import { botpressDoneUrl, DISABLE_INTERSTITIAL_HEADER, page } from './pages'
import { ensureInboxAccount } from './setup/custom-channel'
import { setUp } from './setup/setup'

// Botpress's OAuth route and the header an answer may claim the identifier with (the SDK's
// OAUTH_IDENTIFIER_HEADER, not exported by @botpress/sdk 5.4.3).
export const oneClickRedirectUri = (): string => `${env.botpressWebhookBaseUrl()}/oauth`
export const IDENTIFIER_HEADER = 'x-bp-integration-identifier'

const stateIsOurs = (deps: Deps, params: URLSearchParams): boolean => params.get('state') === deps.ctx.webhookId

const wrongState = (): Response =>
  page(400, {
    title: 'This connection link is not valid',
    tone: 'error',
    lines: ['Open the Connect button of the integration in Botpress again.'],
  })

// GET /oauth/start?state=<webhook ID>: to HubSpot's consent page.
export const startOneClick = (deps: Deps, query: string): Response => {
  const params = new URLSearchParams(query)
  if (!stateIsOurs(deps, params)) return wrongState()
  const { scope, optionalScope } = scopesFor('project', deps.config)
  const url = new URL(env.hubspotAuthorizeUrl())
  url.searchParams.set('client_id', deps.config.clientId)
  url.searchParams.set('redirect_uri', oneClickRedirectUri())
  url.searchParams.set('scope', scope.join(' '))
  url.searchParams.set('optional_scope', optionalScope.join(' '))
  url.searchParams.set('state', deps.ctx.webhookId)
  return {
    status: 302,
    headers: {
      location: url.toString(),
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      ...DISABLE_INTERSTITIAL_HEADER,
    },
    body: '',
  }
}

// Claims the portal as this installation's identifier through the API, best effort.
export const claimPortal = async (deps: Pick<Deps, 'client' | 'logger'>, portalId: string): Promise<void> => {
  try {
    await deps.client.configureIntegration({ identifier: portalId })
  } catch (error) {
    deps.logger.warn(
      `Could not claim HubSpot portal ${portalId} through the API (${error instanceof Error ? error.name : 'error'}); the connection page's header claims it, and register tries again within the hour`
    )
  }
}

// The portal this installation is connected to, if any: the setup's, else the stored token's.
const connectedPortal = async (deps: Deps): Promise<string | undefined> =>
  (await readSetup(deps))?.portalId ?? (await oauthStore(deps.client, deps.ctx.integrationId).load())?.portalId

// GET /oauth?code=…&state=<webhook ID> (or error=…): HubSpot's redirect after the consent.
export const finishOneClick = async (deps: Deps, query: string): Promise<Response> => {
  const params = new URLSearchParams(query)
  if (!stateIsOurs(deps, params)) return wrongState()
  const denied = params.get('error')
  if (denied) {
    return page(400, {
      title: 'HubSpot was not connected',
      tone: 'error',
      lines: [
        `HubSpot answered: ${(params.get('error_description') || denied).replace(/\.$/, '')}.`,
        'Press Connect in Botpress to try again.',
      ],
    })
  }
  const code = params.get('code')
  if (!code) return wrongState()

  let portalId: string
  try {
    const obtainedAt = Date.now()
    const token = await requestTokenWithAuthorizationCode(deps.hubspot, deps.config, code, oneClickRedirectUri())
    const info = await introspectToken(deps.hubspot, deps.config, token.access_token).catch(() => undefined)
    const hubId = info?.hub_id ?? token.hub_id
    if (hubId === undefined) throw new Error('HubSpot did not say which portal the token is for')
    portalId = String(hubId)
    const served = await connectedPortal(deps)
    if (served && served !== portalId) {
      // The new token is of no use here: revoked at once, the installation stays as it was.
      await revokeRefreshToken(deps.hubspot, deps.config, token.refresh_token).catch(() => undefined)
      return page(409, {
        title: 'HubSpot was not connected',
        tone: 'error',
        lines: [
          `This bot is already connected to HubSpot portal ${served}; the approval was for portal ${portalId}, and nothing changed.`,
          'To connect another portal: in Botpress, remove the integration from this bot (which disconnects portal ' +
            served +
            ' and revokes its access), add it again, and press Connect. To connect both portals, use a second bot.',
        ],
      })
    }
    await keepConnection(deps, token, obtainedAt, portalId)
  } catch (error) {
    // Not a 5xx: Botpress's OAuth route may show its own error instead of a page that fails.
    return page(400, {
      title: 'HubSpot was not connected',
      tone: 'error',
      lines: [
        explain(error, 'trading the authorization code', deps).message,
        'Press Connect in Botpress to try again.',
      ],
    })
  }

  // The identifier header of this answer is the claim (as the SDK's wizard makes it): Botpress then
  // routes the publisher app's webhooks about this portal here. The API call is a second try only:
  // its failure must not cost the page that carries the header; register claims again every hour.
  await claimPortal(deps, portalId)
  const withIdentifier = (response: Response): Response => ({
    ...response,
    headers: { ...response.headers, [IDENTIFIER_HEADER]: portalId },
  })
  try {
    const outcome = await setUp(deps)
    const lines = [`HubSpot portal ${portalId} is connected to this bot.`]
    if (deps.config.defaultInboxId) {
      const inboxes = outcome.status === 'ready' ? Object.keys(outcome.setup.channelAccounts) : []
      if (inboxes.length) {
        lines.push(
          `Escalations go to inbox${inboxes.length > 1 ? 'es' : ''} ${inboxes.join(', ')}. You can close this page.`
        )
      }
      const doneUrl = botpressDoneUrl(env.botpressWebhookBaseUrl())
      return withIdentifier(page(200, { title: 'HubSpot is connected', tone: 'ok', lines, doneUrl }))
    }
    return withIdentifier(await inboxPickPage(deps, portalId, lines))
  } catch (error) {
    return withIdentifier(
      page(200, {
        title: 'HubSpot is connected, but setup is not finished',
        tone: 'error',
        lines: explain(error, 'setting up the custom channel', deps).message.split('\n'),
      })
    )
  }
}

const kindOf = (inbox: Inbox): string => (inbox.type === 'HELP_DESK' ? 'help desk' : 'inbox')

// The configuration names no default inbox: the portal's inboxes to pick from, the current pick
// checked. The form goes to <webhook base>/oauth/inbox, which Botpress routes here by `state`.
const inboxPickPage = async (deps: Deps, portalId: string, lines: string[]): Promise<Response> => {
  const [listed, choice] = await Promise.all([listInboxes(deps.hubspot), readInboxChoice(deps)])
  const available = listed.filter((inbox) => !inbox.archived)
  if (!available.length) {
    lines.push(
      'This portal has no inbox or help desk yet: create one in HubSpot, then press Connect in Botpress again to pick it.'
    )
    return page(200, { title: 'HubSpot is connected', tone: 'ok', lines })
  }
  const current = available.find((inbox) => inbox.id === pickedInboxFor(choice, portalId))
  lines.push(
    current
      ? `Escalations go to the ${kindOf(current)} "${current.name}" (ID ${current.id}). To change it, pick another one.`
      : 'Pick the inbox or help desk that receives escalations. Nothing to copy into Botpress.'
  )
  return page(200, {
    title: 'HubSpot is connected',
    tone: 'ok',
    lines,
    form: {
      action: `${env.botpressWebhookBaseUrl()}/oauth/inbox`,
      hidden: { state: deps.ctx.webhookId, ...pickProofFor(deps, portalId) },
      field: {
        kind: 'choice',
        name: 'inbox',
        label: `Inboxes of portal ${portalId}`,
        options: available.map((inbox) => ({
          value: inbox.id,
          label: `${inbox.name} (${kindOf(inbox)}, ID ${inbox.id})`,
        })),
        ...(current ? { selected: current.id } : {}),
      },
      submit: 'Use this inbox',
    },
  })
}

const pickRefused = (status: number, lines: string[]): Response =>
  page(status, { title: 'The inbox was not changed', tone: 'error', lines })

// GET /oauth/inbox?state=<webhook ID>&proof=…&expires=…&inbox=<ID>: the pick page's answer.
export const pickInbox = async (deps: Deps, query: string): Promise<Response> => {
  const params = new URLSearchParams(query)
  if (!stateIsOurs(deps, params)) return wrongState()
  const portalId = await connectedPortal(deps)
  if (!portalId) return pickRefused(409, ['HubSpot is not connected to this bot. Press Connect in Botpress first.'])
  if (!isPickProof(deps, portalId, { proof: params.get('proof'), expires: params.get('expires') })) {
    return pickRefused(403, [
      "This page has expired or was not opened from HubSpot's approval. Press Connect in Botpress again to pick the inbox.",
    ])
  }
  if (deps.config.defaultInboxId) {
    return pickRefused(409, [
      `The configuration names inbox ${deps.config.defaultInboxId} as "Default inbox ID", which takes precedence. Empty that field and save to pick the inbox here.`,
    ])
  }
  const inboxId = params.get('inbox') ?? ''
  try {
    const inbox = (await listInboxes(deps.hubspot)).find((found) => found.id === inboxId && !found.archived)
    if (!inbox) {
      return pickRefused(400, [
        `HubSpot portal ${portalId} has no inbox with ID ${inboxId || '(none given)'}. Press Connect in Botpress again to see its inboxes.`,
      ])
    }
    await writeInboxChoice(deps, { defaultInboxId: inbox.id, portalId })
    deps.logger.info(`Escalations go to HubSpot ${kindOf(inbox)} ${inbox.id}, picked on the connection page`)
    // Its channel account now, so the first escalation does not wait for it; if HubSpot cannot
    // yet, the first escalation connects it.
    await ensureInboxAccount(deps, inbox.id).catch((error: unknown) =>
      deps.logger.warn(explain(error, `connecting inbox ${inbox.id}`, deps).message)
    )
    return page(200, {
      title: `Escalations go to "${inbox.name}"`,
      tone: 'ok',
      lines: [
        `New escalations from this bot go to the ${kindOf(inbox)} "${inbox.name}" (ID ${inbox.id}) of HubSpot portal ${portalId}. You can close this page.`,
        'To change it, press Connect in Botpress again. A "Default inbox ID" filled in the configuration takes precedence over this choice.',
      ],
      doneUrl: botpressDoneUrl(env.botpressWebhookBaseUrl()),
    })
  } catch (error) {
    return pickRefused(400, [explain(error, 'listing the inboxes', deps).message])
  }
}
