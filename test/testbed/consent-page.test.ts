// [one-click] The HubSpot stand-in's install page: with `consentPage` on, authorize shows the page
// (the account to pick, the access asked, "Connect app") before any code; its answer comes back to
// authorize, which redirects with a code for the chosen account, or access_denied on Cancel. Off
// (the default), authorize approves at once.
import { afterEach, describe, expect, it } from 'vitest'
import { startHubSpotStandIn, type HubSpotStandIn } from '../../testbed/hubspot'

const REDIRECT = 'https://webhook.example.test/oauth'

let hs: HubSpotStandIn | undefined
afterEach(async () => {
  await hs?.close()
  hs = undefined
})

const authorizeUrl = (stand: HubSpotStandIn, extra: Record<string, string> = {}): string => {
  const url = new URL(`${stand.url}/oauth/authorize`)
  url.searchParams.set('client_id', stand.app.clientId)
  url.searchParams.set('redirect_uri', REDIRECT)
  url.searchParams.set('scope', 'conversations.read')
  url.searchParams.set('state', 'webhook-1')
  for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value)
  return url.toString()
}

// The form's hidden inputs and the account radio buttons, as a browser would submit them.
const formOf = (html: string): { action: string; fields: Record<string, string>; accounts: string[] } => {
  const action = /<form method="get" action="([^"]+)"/.exec(html)?.[1] ?? ''
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" }
  const unescape = (value: string) => value.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => entities[entity]!)
  const fields = Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)])
  )
  const accounts = [...html.matchAll(/<input type="radio" name="portal_id" value="([^"]+)"/g)].map((m) => m[1]!)
  return { action, fields, accounts }
}

const submit = async (stand: HubSpotStandIn, html: string, answer: Record<string, string>) => {
  const { action, fields } = formOf(html)
  const url = new URL(action, stand.url)
  for (const [name, value] of Object.entries({ ...fields, ...answer })) url.searchParams.set(name, value)
  return fetch(url, { redirect: 'manual' })
}

describe('[one-click] the HubSpot stand-in consent page', () => {
  it('by default authorize approves at once', async () => {
    hs = await startHubSpotStandIn()
    const response = await fetch(authorizeUrl(hs), { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(new URL(response.headers.get('location')!).searchParams.get('code')).toBeTruthy()
  })

  it('shows the account to pick and the access asked, then "Connect app" redirects with a code for it', async () => {
    hs = await startHubSpotStandIn({ consentPage: true })
    const codesBefore = hs.portal.tokens.authCodes.size
    const page = await fetch(authorizeUrl(hs), { redirect: 'manual' })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    const html = await page.text()
    expect(html).toContain('Choose an account')
    expect(html).toContain('Connect app')
    expect(html).toContain('<code>conversations.read</code>')
    expect(hs.portal.tokens.authCodes.size).toBe(codesBefore)
    const form = formOf(html)
    expect(form.accounts).toEqual([hs.portalId])
    expect(form.fields).toMatchObject({ client_id: hs.app.clientId, redirect_uri: REDIRECT, state: 'webhook-1' })

    const approved = await submit(hs, html, { consent: 'granted', portal_id: hs.portalId })
    expect(approved.status).toBe(302)
    const target = new URL(approved.headers.get('location')!)
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT)
    expect(target.searchParams.get('state')).toBe('webhook-1')
    const code = hs.portal.tokens.authCodes.get(target.searchParams.get('code')!)
    expect(code?.redirectUri).toBe(REDIRECT)
  })

  it('lists every account of the user; approving another one issues the code in that portal and installs the app there', async () => {
    hs = await startHubSpotStandIn({ consentPage: true, extraPortals: 2 })
    const [, second] = hs.portals
    const html = await (await fetch(authorizeUrl(hs))).text()
    expect(formOf(html).accounts).toEqual(hs.portals.map((portal) => portal.portalId))
    expect(html).toContain(second!.hubDomain)

    const onward = await submit(hs, html, { consent: 'granted', portal_id: second!.portalId })
    expect(onward.status).toBe(302)
    const chosenRoute = new URL(onward.headers.get('location')!, hs.url)
    expect(chosenRoute.pathname).toBe(`/oauth/${second!.portalId}/authorize`)
    const approved = await fetch(chosenRoute, { redirect: 'manual' })
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!
    expect(second!.portal.tokens.authCodes.get(code)?.redirectUri).toBe(REDIRECT)
    expect(hs.portal.tokens.authCodes.has(code)).toBe(false)
    expect(hs.installs().map((install) => install.portalId)).toContain(second!.portalId)
  })

  it('Cancel redirects with access_denied and no code', async () => {
    hs = await startHubSpotStandIn({ consentPage: true })
    const html = await (await fetch(authorizeUrl(hs))).text()
    const cancelled = await submit(hs, html, { consent: 'denied' })
    const target = new URL(cancelled.headers.get('location')!)
    expect(target.searchParams.get('error')).toBe('access_denied')
    expect(target.searchParams.get('code')).toBeNull()
    expect(target.searchParams.get('state')).toBe('webhook-1')
  })

  it('an account the user does not have is refused', async () => {
    hs = await startHubSpotStandIn({ consentPage: true })
    const refused = await fetch(authorizeUrl(hs, { consent: 'granted', portal_id: '999' }), { redirect: 'manual' })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('portal_id 999 is not an account of the signed-in user')
  })

  it('a request the app would not accept is refused before the page', async () => {
    hs = await startHubSpotStandIn({ consentPage: true })
    const wrongClient = await fetch(authorizeUrl(hs, { client_id: 'someone-else' }), { redirect: 'manual' })
    expect(wrongClient.status).toBe(400)
  })

  it('the page escapes what the query carries', async () => {
    hs = await startHubSpotStandIn({ consentPage: true })
    const html = await (await fetch(authorizeUrl(hs, { state: '"><script>alert(1)</script>' }))).text()
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(formOf(html).fields.state).toBe('"><script>alert(1)</script>')
  })
})
