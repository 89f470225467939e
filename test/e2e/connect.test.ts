// Connecting HubSpot from the webhook URL (manual configuration): the connect page, the consent,
// the callback, and that only the bot builder can connect a portal.
import { describe, expect, it } from 'vitest'
import { uploadServedProject, type World } from '../../testbed/world'
import { captureOutput } from '../support/output'
import {
  connectLink,
  connectThroughBrowser,
  failureOf,
  newBrowser,
  threadOf,
  world,
  formOf,
  submitted,
} from './helpers'

const follow = async (url: string): Promise<{ status: number; location: string | null; body: string }> => {
  const response = await fetch(url, { redirect: 'manual' })
  return { status: response.status, location: response.headers.get('location'), body: await response.text() }
}

const keyOf = (w: World): string => new URL(connectLink(w)).searchParams.get('key')!

describe('[oauth] connect HubSpot from the webhook URL', () => {
  it('start → HubSpot consent → callback stores the refresh token and finishes the setup', async () => {
    const w = await world({ withoutRefreshToken: true })
    expect([...w.hs.portal.channels.values()]).toHaveLength(0)

    const browser = newBrowser()
    // The link first checks that its cookie comes back, then sends the browser to HubSpot.
    const first = await browser.open(connectLink(w))
    expect(first.status).toBe(302)
    expect(first.location).toMatch(new RegExp(`^${w.driver.webhookUrl}/oauth/start\\?key=.+&check=`))
    const start = await browser.open(first.location!)
    expect(start.status).toBe(302)
    const authorize = new URL(start.location!)
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${w.hs.url}/oauth/authorize`)
    expect(authorize.searchParams.get('client_id')).toBe(w.hs.app.clientId)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${w.driver.webhookUrl}/oauth/callback`)
    // A project app: exactly its required scopes, oauth included, and the optional features' scopes as optional.
    expect(authorize.searchParams.get('scope')?.split(' ').sort()).toEqual(
      [
        'oauth',
        'conversations.custom_channels.read',
        'conversations.custom_channels.write',
        'conversations.read',
        'conversations.write',
        'crm.objects.contacts.read',
        'files',
      ].sort()
    )
    expect(authorize.searchParams.get('optional_scope')?.split(' ').sort()).toEqual([
      'crm.objects.contacts.write',
      'files.ui_hidden.read',
    ])

    const consent = await browser.open(start.location!)
    expect(consent.status).toBe(302)
    // The stand-in's gateway drops cookies: the bot builder gives the link again.
    const callback = await browser.open(`${consent.location!}&link=${encodeURIComponent(connectLink(w))}`)
    expect(callback.status).toBe(200)
    expect(callback.body).toContain('HubSpot is connected')
    expect(callback.body).toContain('connected to inboxes 1001, 1002')

    expect([...w.hs.portal.channels.values()].filter((c) => !c.archived)).toHaveLength(1)
    const oauth = w.bp.store.findState('integration', w.driver.integrationId, 'oauth')
    expect(oauth?.payload).toMatchObject({ refreshToken: expect.any(String), portalId: w.hs.portalId })

    const session = await w.bot.escalate({ customer: { name: 'Jane', email: 'jane.doe@example.com' } })
    expect(threadOf(w, session)).toBeTruthy()
  })

  it('a callback with a forged or expired state is refused', async () => {
    const w = await world({ withoutRefreshToken: true })
    const forged = await follow(`${w.driver.webhookUrl}/oauth/callback?code=abc&state=${Date.now()}.forged`)
    expect(forged.status).toBe(400)
    expect(forged.body).toContain('This connection link has expired')
    const expired = await follow(`${w.driver.webhookUrl}/oauth/callback?code=abc&state=1.x`)
    expect(expired.status).toBe(400)
  })

  it('a denied consent says HubSpot was not connected and how to retry', async () => {
    const w = await world({ withoutRefreshToken: true })
    w.hs.settings.denyAuthorize = true
    const { callback } = await connectThroughBrowser(w)
    expect(callback.status).toBe(400)
    expect(callback.body).toContain('HubSpot was not connected')
    // HubSpot's redirect proves nothing here (no cookie through this gateway): the page says where
    // the link is, without showing it.
    expect(callback.body).toContain('Start again from the connect link')
    expect(callback.body).toContain('your bot › Logs')
    expect(callback.body).not.toContain(new URL(connectLink(w)).searchParams.get('key')!)
  })

  it('cannot move an integration already serving a portal to another portal', async () => {
    const w = await world({ withoutRefreshToken: true, register: false })
    const driver = w.connect({ ...w.configuration })
    await uploadServedProject(w.hs, driver.webhookUrl)
    const { Client } = await import('@botpress/client')
    const client = new Client({
      apiUrl: w.bp.url,
      token: w.bp.token,
      botId: driver.botId,
      integrationId: driver.integrationId,
    })
    await client.setState({
      type: 'integration',
      id: driver.integrationId,
      name: 'setup',
      payload: {
        webhookUrl: driver.webhookUrl,
        channelId: '2001',
        channelAccounts: { '1001': '5501' },
        portalId: '555',
        appKind: 'project',
      },
    })
    const { callback } = await connectThroughBrowser(w, driver)
    expect(callback.status).toBe(409)
    expect(callback.body).toContain(
      `This integration already serves HubSpot portal 555; the approval was for portal ${w.hs.portalId}.`
    )
    expect(w.bp.store.findState('integration', driver.integrationId, 'oauth')).toBeUndefined()
  })

  it('register before connecting succeeds and says where to connect', async () => {
    const w = await world({ withoutRefreshToken: true, register: false })
    await expect(w.driver.register()).resolves.toBeUndefined()
    expect(await failureOf(w.bot.escalate({ customer: { name: 'Jane' } }))).toMatch(
      /^The integration is not set up in HubSpot yet\./
    )
  })
})

describe('[connect-security] only the bot builder can connect a portal', () => {
  it('[connect-security] without the key, /oauth/start connects nothing and says where the link is', async () => {
    const w = await world({ withoutRefreshToken: true })
    for (const url of [
      `${w.driver.webhookUrl}/oauth/start`,
      `${w.driver.webhookUrl}/oauth/start?key=guess`,
      `${connectLink(w)}x`,
    ]) {
      const answer = await newBrowser().open(url)
      expect(answer.status).toBe(403)
      expect(answer.location).toBeNull()
      expect(answer.body).toContain('This connect link is incomplete')
      expect(answer.body).toContain('HubSpot is not connected')
    }
    expect(w.hs.portal.tokens.authCodes.size).toBe(0)
    const root = await newBrowser().open(`${w.driver.webhookUrl}/`)
    expect(root.body).not.toContain(keyOf(w))
    expect(root.body).toContain('your bot › Logs')
    expect((await newBrowser().open(`${w.driver.webhookUrl}/?key=${keyOf(w)}`)).body).toContain(
      connectLink(w).replace(/&/g, '&amp;')
    )
  })

  it('[connect-security] register, while HubSpot is not connected, gives the link with its key', async () => {
    const w = await world({ withoutRefreshToken: true, register: false })
    const capture = captureOutput()
    try {
      await w.driver.register()
    } finally {
      capture.stop()
    }
    expect(capture.lines.join('\n')).toContain(
      `HubSpot is not connected. Open ${connectLink(w)} to connect your HubSpot portal`
    )
  })

  // Every route of the flow, with and without key, cookie and state, and with parameters missing or
  // forged: an answer shows the key only to a request that brought it (or the cookie of the browser
  // that started with it), and every page says where the link is.
  it.each([
    { gateway: 'passes cookies', passCookies: true },
    { gateway: 'drops cookies', passCookies: false },
  ])(
    '[connect-security] no answer contains the key unless the request brought it (gateway $gateway)',
    async ({ passCookies }) => {
      const w = await world({ withoutRefreshToken: true, botpress: { passCookies } })
      const base = w.driver.webhookUrl
      const key = keyOf(w)
      // A genuine state of each binding, as the bot builder's browser gets them.
      const builder = newBrowser()
      const first = await builder.open(connectLink(w))
      const check = new URL(first.location!).searchParams.get('check')!
      const toHubSpot = await builder.open(first.location!)
      const state = new URL(toHubSpot.location!).searchParams.get('state')!
      const consent = await builder.open(toHubSpot.location!)
      const code = new URL(consent.location!).searchParams.get('code')!
      expect(state.split('.')[2]).toBe(passCookies ? 'cookie' : 'key')
      const [issuedAt, nonce, binding, signature] = state.split('.')
      const otherBinding = binding === 'cookie' ? 'key' : 'cookie'
      const cookieName = passCookies ? [...builder.jar.keys()][0]! : 'hitl_connect_x'

      const states = {
        none: undefined,
        genuine: state,
        forged: `${issuedAt}.${nonce}.${binding}.forged`,
        rebound: `${issuedAt}.${nonce}.${otherBinding}.${signature}`,
        expired: `${Date.now() - 31 * 60 * 1000}.${nonce}.${binding}.${signature}`,
        garbage: 'x.y.z',
      }
      const cookies = { none: undefined, wrong: `${cookieName}=someone-else`, other: 'session=1' }
      const queries: string[] = []
      for (const s of Object.values(states)) {
        for (const extra of [
          '',
          `code=${code}`,
          'code=forged-code',
          'error=access_denied',
          'error=x&error_description=y',
          `code=${code}&link=https://example.com/oauth/start?key=wrong`,
          `code=${code}&key=wrong`,
          `code=${code}&link=${key}x`,
        ]) {
          queries.push([s === undefined ? '' : `state=${encodeURIComponent(s)}`, extra].filter(Boolean).join('&'))
        }
      }
      const requests: { method: string; url: string; cookie?: string }[] = []
      for (const cookie of Object.values(cookies)) {
        for (const query of queries) {
          requests.push({ method: 'GET', url: `${base}/oauth/callback${query ? `?${query}` : ''}`, cookie })
        }
        for (const query of ['', 'key=wrong', `check=${check}`, `key=wrong&check=${check}`, 'key=', `link=${key}`]) {
          requests.push({ method: 'GET', url: `${base}/oauth/start${query ? `?${query}` : ''}`, cookie })
        }
        for (const query of ['', 'key=wrong', 'link=wrong', `check=${check}`]) {
          requests.push({ method: 'GET', url: `${base}/${query ? `?${query}` : ''}`, cookie })
        }
        for (const path of ['/oauth/callback', '/oauth/start', '/']) {
          requests.push({
            method: 'POST',
            url: `${base}${path}?state=${encodeURIComponent(state)}&code=${code}`,
            cookie,
          })
        }
      }

      let pages = 0
      for (const request of requests) {
        const response = await fetch(request.url, {
          method: request.method,
          redirect: 'manual',
          headers: request.cookie ? { cookie: request.cookie } : {},
          ...(request.method === 'POST' && { body: '[]' }),
        })
        const body = await response.text()
        const pairs: string[] = []
        response.headers.forEach((value, name) => pairs.push(`${name}: ${value}`))
        const headers = pairs.join('\n')
        const where = `${request.method} ${request.url} (cookie ${request.cookie ?? 'none'})`
        expect(body, where).not.toContain(key)
        expect(headers, where).not.toContain(key)
        if (response.headers.get('content-type')?.includes('text/html')) {
          pages++
          expect(body, where).toContain('HubSpot is not connected')
          expect(body, where).toContain('your bot › Logs')
        }
      }
      expect(pages).toBeGreaterThan(100)
      // None of them connected anything, and the genuine approval still works for its browser.
      expect(w.bp.store.findState('integration', w.driver.integrationId, 'oauth')?.payload ?? undefined).toBeUndefined()
      const own = passCookies
        ? await builder.open(consent.location!)
        : await builder.open(`${consent.location!}&link=${encodeURIComponent(connectLink(w))}`)
      expect(own.body).toContain('HubSpot is connected')
    }
  )

  it("[connect-security] a forged, replayed, expired, rebound or other browser's state is refused; the right browser connects once (gateway passing cookies)", async () => {
    const w = await world({ withoutRefreshToken: true, botpress: { passCookies: true } })
    const browser = newBrowser()
    const first = await browser.open(connectLink(w))
    expect(first.status).toBe(302)
    const cookie = [...browser.jar.keys()][0]!
    const start = await browser.open(first.location!)
    const consent = await browser.open(start.location!)
    const callbackUrl = consent.location!
    const state = new URL(callbackUrl).searchParams.get('state')!
    const [issuedAt, nonce, binding, signature] = state.split('.')
    expect(binding).toBe('cookie')

    const forged = await browser.open(callbackUrl.replace(state, `${issuedAt}.${nonce}.cookie.forged`))
    expect(forged.body).toContain('This connection link has expired')
    const otherBrowser = await newBrowser().open(callbackUrl)
    expect(otherBrowser.status).toBe(400)
    expect(otherBrowser.body).toContain('This approval was started in another browser')
    // With the cookie proven to work, a state bound to it never falls back to asking for the key,
    // not even when the request brings the key.
    const withKey = await newBrowser().open(`${callbackUrl}&link=${encodeURIComponent(connectLink(w))}`)
    expect(withKey.body).toContain('This approval was started in another browser')
    const rebound = await newBrowser().open(callbackUrl.replace(state, `${issuedAt}.${nonce}.key.${signature}`))
    expect(rebound.body).toContain('This connection link has expired')
    const wrongCookie = newBrowser()
    wrongCookie.jar.set(cookie, 'someone-else')
    expect((await wrongCookie.open(callbackUrl)).body).toContain('started in another browser')

    const connected = await browser.open(callbackUrl)
    expect(connected.body.replace(/<[^>]+>/g, ' ')).toContain('HubSpot is connected')
    expect(browser.jar.size).toBe(0)
    browser.jar.set(cookie, nonce!)
    const replayed = await browser.open(callbackUrl)
    expect(replayed.status).toBe(400)
    expect(replayed.body).toContain('This approval was already used')

    const expiredAt = Date.now() - 31 * 60 * 1000
    const stale = callbackUrl.replace(state, `${expiredAt}.${nonce}.cookie.${signature}`)
    expect((await browser.open(stale)).body).toContain('This connection link has expired')
  })

  it('[connect-security] through a gateway that drops cookies, the approval connects once the link is given again, and a forged approval is refused', async () => {
    const w = await world({ withoutRefreshToken: true })
    expect(w.bp.gateway.passCookies).toBe(false)
    const connected = () => w.bp.store.findState('integration', w.driver.integrationId, 'oauth')?.payload ?? undefined
    const browser = newBrowser()
    const first = await browser.open(connectLink(w))
    expect(browser.jar.size).toBe(0)
    const start = await browser.open(first.location!)
    const consent = await browser.open(start.location!)
    const state = new URL(consent.location!).searchParams.get('state')!
    expect(state.split('.')[2]).toBe('key')

    // HubSpot's redirect alone connects nothing: the page asks for the link, and shows no key.
    const confirmation = await browser.open(consent.location!)
    expect(confirmation.status).toBe(200)
    expect(confirmation.body).toContain('Confirm the connection to HubSpot')
    expect(confirmation.body).toContain('If someone else sent you to this page, close it')
    expect(confirmation.body).not.toContain(keyOf(w))
    expect(formOf(confirmation)).toMatchObject({ action: `${w.driver.webhookUrl}/oauth/callback`, hidden: { state } })

    // A forged approval: a wrong link, a wrong key, the right key on a forged or rebound state.
    for (const url of [
      submitted(confirmation, { link: `${w.driver.webhookUrl}/oauth/start?key=not-the-key` }),
      submitted(confirmation, { link: 'not-the-key' }),
      `${consent.location!}&key=${keyOf(w)}x`,
    ]) {
      const refused = await newBrowser().open(url)
      expect(refused.status).toBe(403)
      expect(refused.body).toContain('This is not the connect link of this integration')
      expect(refused.body).not.toContain(keyOf(w))
    }
    const [issuedAt, nonce, , signature] = state.split('.')
    for (const forgedState of [`${issuedAt}.${nonce}.key.forged`, `${issuedAt}.${nonce}.cookie.${signature}`]) {
      const refused = await newBrowser().open(submitted(confirmation, { link: connectLink(w), state: forgedState }))
      expect(refused.body).toContain('This connection link has expired')
    }
    expect(w.hs.portal.tokens.authCodes.size).toBe(1)
    expect(connected()).toBeUndefined()

    // The bot builder pastes the link: connected, once.
    const confirmed = submitted(confirmation, { link: connectLink(w) })
    const done = await browser.open(confirmed)
    expect(done.body.replace(/<[^>]+>/g, ' ')).toContain('HubSpot is connected')
    expect(connected()).toMatchObject({ portalId: w.hs.portalId })
    const replayed = await browser.open(confirmed)
    expect(replayed.body).toContain('This approval was already used')

    // The key alone does as well as the whole link.
    const again = newBrowser()
    const toHubSpot = await again.open((await again.open(connectLink(w))).location!)
    const asked = await again.open((await again.open(toHubSpot.location!)).location!)
    expect((await again.open(submitted(asked, { link: keyOf(w) }))).body).toContain('HubSpot is connected')
  })

  it('[connect-security] through a gateway that passes cookies, the approval connects at once', async () => {
    const w = await world({ withoutRefreshToken: true, botpress: { passCookies: true } })
    const flow = await connectThroughBrowser(w)
    expect(flow.confirmation).toBeUndefined()
    expect(flow.callback.body).toContain('HubSpot is connected')
    expect(flow.browser.jar.size).toBe(0)
  })
})
