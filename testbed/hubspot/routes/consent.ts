// HubSpot's install page, for a person in a browser: before an app gets a code, HubSpot asks which
// of the user's accounts to install it in and lists the access it asks for; the user picks one and
// clicks "Connect app" (or cancels). The stand-in shows this page only when `consentPage` is on
// (the sandbox); by default the authorize route approves at once, as the tests expect.
//
// The page's form goes back to /oauth/authorize with the same query plus the answer:
// `consent=granted&portal_id=<account>` or `consent=denied`. An approval for another account than
// the one this route serves goes on to that account's route, /oauth/<account>/authorize, where the
// code is issued and the app installed.
import { escapeHtml } from '../../html'
import { validationError } from '../errors'
import type { Reply, RequestContext } from '../http'
import type { StandInState } from '../state'

export type ConsentAnswer =
  // The install page, or the way on to the chosen account's route.
  | { kind: 'page'; reply: Reply }
  | { kind: 'granted'; portalId: string }
  | { kind: 'denied' }
  // No consent page: the stand-in approves for its portal.
  | { kind: 'skipped' }

const ANSWER_PARAMS = new Set(['consent', 'portal_id'])

// The accounts the signed-in user may install the app in: every portal of the stand-in.
const accountsOf = (state: StandInState): { portalId: string; domain: string }[] =>
  state.accounts.map(({ portalId, hubDomain }) => ({ portalId, domain: hubDomain }))

const consentPage = (state: StandInState, ctx: RequestContext, scopes: string[]): Reply => {
  const hidden = [...ctx.query.entries()]
    .filter(([name]) => !ANSWER_PARAMS.has(name))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('')
  const accounts = accountsOf(state)
  const choices = accounts
    .map(
      (account, index) =>
        `<label class="account"><input type="radio" name="portal_id" value="${escapeHtml(account.portalId)}" data-testid="consent-account"${index === 0 ? ' checked' : ''}> <strong>${escapeHtml(account.domain)}</strong> <span>Account ID ${escapeHtml(account.portalId)}</span></label>`
    )
    .join('')
  const access = scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect app · HubSpot stand-in</title>
<style>
body{font-family:system-ui,sans-serif;background:#f5f8fa;color:#33475b;margin:0;padding:2rem}
main{max-width:36rem;margin:0 auto;background:#fff;border:1px solid #cbd6e2;border-radius:6px;padding:1.5rem 2rem}
h1{font-size:1.4rem;margin-top:0}.account{display:block;padding:.6rem;border:1px solid #cbd6e2;border-radius:4px;margin:.4rem 0;cursor:pointer}
.account span{color:#7c98b6;margin-left:.5rem}.actions{display:flex;gap:.75rem;margin-top:1.25rem}
button{font:inherit;padding:.55rem 1.1rem;border-radius:4px;border:1px solid #ff7a59;cursor:pointer}
button[value=granted]{background:#ff7a59;color:#fff}button[value=denied]{background:#fff;color:#ff7a59}
.note{font-size:.85rem;color:#7c98b6}
</style></head>
<body><main data-testid="consent-page">
<h1>Connect app to your HubSpot account</h1>
<p>The app with client ID <code>${escapeHtml(ctx.query.get('client_id') ?? '')}</code> asks to connect. Signed in as ${escapeHtml(state.user.email)}.</p>
<form method="get" action="/oauth/authorize">${hidden}
<fieldset><legend>Choose an account</legend>${choices}</fieldset>
<p>The app will be able to:</p><ul data-testid="consent-scopes">${access}</ul>
<div class="actions"><button type="submit" name="consent" value="granted" data-testid="consent-connect">Connect app</button>
<button type="submit" name="consent" value="denied" data-testid="consent-cancel">Cancel</button></div>
</form>
<p class="note">This is the HubSpot stand-in's install page: nothing here is sent to HubSpot.</p>
</main></body></html>`
  return {
    status: 200,
    bytes: Buffer.from(html),
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
  }
}

// What the authorize route does before issuing a code: show the page, or read the user's answer.
export const consentAnswer = (state: StandInState, ctx: RequestContext, scopes: string[]): ConsentAnswer => {
  if (!state.settings.consentPage) return { kind: 'skipped' }
  const answer = ctx.query.get('consent')
  if (answer === null) return { kind: 'page', reply: consentPage(state, ctx, scopes) }
  if (answer === 'denied') return { kind: 'denied' }
  if (answer !== 'granted') throw validationError(`consent must be granted or denied, not ${answer}.`)
  const portalId = ctx.query.get('portal_id')
  if (!portalId || !accountsOf(state).some((account) => account.portalId === portalId)) {
    throw validationError(`portal_id ${portalId ?? '(missing)'} is not an account of the signed-in user.`)
  }
  if (portalId !== state.portalId) {
    const query = new URLSearchParams(ctx.query)
    return {
      kind: 'page',
      reply: { status: 302, headers: { Location: `/oauth/${encodeURIComponent(portalId)}/authorize?${query}` } },
    }
  }
  return { kind: 'granted', portalId }
}
