// The HubSpot stand-in's marketplace app installed in several portals: each portal's own records
// and tokens, approvals on HubSpot's account chooser, exact redirect URLs, install caps, and the
// control API per portal.
import { afterEach, describe, expect, it } from 'vitest'
import { publisherProjectFiles } from '../../src/hitl/project-files'
import { startHubSpotStandIn, type HubSpotStandIn } from '../../testbed/hubspot'

const WEBHOOK_BASE = 'https://webhook.botpress.test'
const REDIRECT = `${WEBHOOK_BASE}/oauth`
const open: HubSpotStandIn[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((hs) => hs.close()))
})

const start = async (extraPortals: number) => {
  const hs = await startHubSpotStandIn({ extraPortals })
  open.push(hs)
  const files = publisherProjectFiles(WEBHOOK_BASE, 'hubspot-inbox-hitl')
  hs.uploadProject(Object.fromEntries(files.map((file) => [file.path, file.content])))
  const appFile = files.find((file) => file.path.endsWith('app-hsmeta.json'))!
  const scopes = (JSON.parse(appFile.content) as { config: { auth: { requiredScopes: string[] } } }).config.auth
    .requiredScopes
  return { hs, scopes }
}

// Approves the app in `portalId` (HubSpot's account chooser leads to /oauth/<portalId>/authorize).
const approve = async (hs: HubSpotStandIn, scopes: string[], portalId: string, redirectUri = REDIRECT) => {
  const query = new URLSearchParams({ client_id: hs.app.clientId, redirect_uri: redirectUri, scope: scopes.join(' ') })
  const response = await fetch(`${hs.url}/oauth/${portalId}/authorize?${query}`, { redirect: 'manual' })
  const code = response.status === 302 ? new URL(response.headers.get('location')!).searchParams.get('code') : null
  return { status: response.status, code }
}

const exchange = async (hs: HubSpotStandIn, code: string, redirectUri = REDIRECT) => {
  const response = await fetch(`${hs.url}/oauth/2026-03/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: hs.app.clientId,
      client_secret: hs.app.clientSecret,
      redirect_uri: redirectUri,
      code,
    }),
  })
  return { status: response.status, body: (await response.json()) as { access_token?: string; hub_id?: number } }
}

describe('HubSpot stand-in: one app in several portals', () => {
  it('by default one portal, installed, as before', async () => {
    const hs = await startHubSpotStandIn()
    open.push(hs)
    expect(hs.portals.map((view) => view.portalId)).toEqual([hs.portalId])
    expect(hs.installs().map((install) => install.portalId)).toEqual([hs.portalId])
    expect(hs.inPortal(hs.portalId).portal).toBe(hs.portal)
  })

  it('an approval in another portal installs the app there; its token reaches that portal only', async () => {
    const { hs, scopes } = await start(1)
    const [first, second] = hs.portals
    expect(first!.portalId).not.toBe(second!.portalId)
    expect(second!.inboxes.map((inbox) => inbox.id)).not.toEqual(first!.inboxes.map((inbox) => inbox.id))
    expect(hs.installs().map((install) => install.portalId)).toEqual([first!.portalId])

    const { code } = await approve(hs, scopes, second!.portalId)
    const token = await exchange(hs, code!)
    expect(token.status).toBe(200)
    expect(token.body.hub_id).toBe(Number(second!.portalId))
    expect(hs.installs().map((install) => install.portalId)).toEqual([first!.portalId, second!.portalId])
    expect(second!.portal.tokens.access.has(token.body.access_token!)).toBe(true)
    expect(first!.portal.tokens.access.has(token.body.access_token!)).toBe(false)

    const inboxes = await fetch(`${hs.url}/conversations/v3/conversations/inboxes`, {
      headers: { authorization: `Bearer ${token.body.access_token}` },
    })
    const listed = (await inboxes.json()) as { results: { id: string }[] }
    expect(listed.results.map((inbox) => inbox.id)).toEqual(second!.inboxes.map((inbox) => inbox.id))
    expect(hs.calls.at(-1)?.portalId).toBe(second!.portalId)
  })

  it('the redirect URL must match one of the app’s exactly, at approval and at exchange', async () => {
    const { hs, scopes } = await start(1)
    const second = hs.portals[1]!.portalId
    expect((await approve(hs, scopes, second, `${REDIRECT}/`)).status).toBe(400)
    expect((await approve(hs, scopes, second, REDIRECT.toUpperCase())).status).toBe(400)
    const { code } = await approve(hs, scopes, second)
    expect((await exchange(hs, code!, `${REDIRECT}?x=1`)).status).toBe(400)
    expect((await approve(hs, scopes, '999')).status).toBe(404)
  })

  it('an unlisted marketplace app stops at its install cap (unverified: 25); a listed one does not', async () => {
    const { hs, scopes } = await start(3)
    expect(hs.settings.installCaps).toEqual({ private: 10, unlistedMarketplace: 25 })
    hs.settings.installCaps.unlistedMarketplace = 3
    const [, second, third, fourth] = hs.portals
    expect((await approve(hs, scopes, second!.portalId)).status).toBe(302)
    expect((await approve(hs, scopes, third!.portalId)).status).toBe(302)
    const refused = await fetch(
      `${hs.url}/oauth/${fourth!.portalId}/authorize?${new URLSearchParams({ client_id: hs.app.clientId, redirect_uri: REDIRECT, scope: scopes.join(' ') })}`,
      { redirect: 'manual' }
    )
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('install limit (3 accounts)')
    // An approval again in a portal already installed is not a new install.
    expect((await approve(hs, scopes, second!.portalId)).status).toBe(302)
    hs.settings.marketplaceListed = true
    expect((await approve(hs, scopes, fourth!.portalId)).status).toBe(302)
    expect(hs.installs()).toHaveLength(4)
  })

  it('the control API acts on the portal named by ?portalId=', async () => {
    const { hs } = await start(1)
    const second = hs.portals[1]!.portalId
    const state = (await (await fetch(`${hs.url}/_testbed/state?portalId=${second}`)).json()) as { portalId: string }
    expect(state.portalId).toBe(second)
    expect((await fetch(`${hs.url}/_testbed/state?portalId=424242`)).status).toBe(404)
  })
})
