// Attachment URLs cannot reach inside the network; the customer hears about a file that did not
// reach the agent; only the bot builder can connect a portal.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { download, DownloadError, isInternalAddress } from '../../src/download'
import type { World } from '../../testbed/world'
import { captureOutput } from '../support/output'
import {
  connectLink,
  connectThroughBrowser,
  customerView,
  escalated,
  formOf,
  hostFile,
  newBrowser,
  setEnv,
  settle,
  submitted,
  threadMessages,
  world,
} from './helpers'

const keyOf = (w: World): string => new URL(connectLink(w)).searchParams.get('key')!

const servers: { close: () => void }[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

// A local host of the test's own: it only redirects, and counts the requests it gets.
const redirector = async (location: string) => {
  const hits: string[] = []
  const server = createServer((req, res) => {
    hits.push(req.url ?? '/')
    res.writeHead(302, { location }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push({ close: () => server.close() })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/file.png`, origin: `http://127.0.0.1:${port}`, hits }
}

describe('[ssrf] customer files at internal addresses', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.0.0.5', true],
    ['172.16.3.4', true],
    ['192.168.1.10', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.1.2.3', true],
    ['224.0.0.1', true],
    ['93.184.216.34', false],
    ['2606:2800:220:1:248:1893:25c8:1946', false],
  ])('%s is internal: %s', (address, internal) => {
    expect(isInternalAddress(address)).toBe(internal)
  })

  it.each([
    'http://127.0.0.1:9/secret',
    'http://10.0.0.5/admin',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:9/x',
    'http://[fd00::1]/x',
    'http://[::ffff:169.254.169.254]/latest',
    'http://0x7f000001/x',
  ])('a literal internal address is refused before any connection: %s', async (url) => {
    const failure = await download(url, { maxBytes: 1000, timeoutMs: 1000, trustedOrigins: [] }).catch(
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(DownloadError)
    expect((failure as DownloadError).permanent).toBe(true)
    expect((failure as DownloadError).message).toMatch(/points inside a private network/)
  })

  it('a host name that resolves to an internal address is refused on its resolved address', async () => {
    const failure = await download('http://localhost:9/secret', {
      maxBytes: 1000,
      timeoutMs: 1000,
      trustedOrigins: [],
    }).catch((error: unknown) => error)
    expect((failure as DownloadError).message).toMatch(/points inside a private network \((127\.0\.0\.1|::1)\)/)
  })

  it('a redirect to an internal address is refused, whether literal or by name; a trusted origin is fetched', async () => {
    const literal = await redirector('http://169.254.169.254/latest/meta-data/iam')
    const byName = await redirector('http://localhost:9/secret')
    for (const hop of [literal, byName]) {
      const failure = await download(hop.url, { maxBytes: 1000, timeoutMs: 1000, trustedOrigins: [hop.origin] }).catch(
        (error: unknown) => error
      )
      expect((failure as DownloadError).message).toMatch(/points inside a private network/)
      expect(hop.hits).toEqual(['/file.png'])
    }
  })

  it('[ssrf] a customer image at an internal address reaches the agent as a note, nothing fetched; files the stand-in hosts still go through', async () => {
    const { w, session, threadId } = await escalated()
    const internal = await redirector('http://10.0.0.8/inside.png')
    setEnv({ HITL_TRUSTED_FILE_ORIGINS: internal.origin })
    for (const imageUrl of ['http://169.254.169.254/latest/meta-data/', 'http://localhost:9/x.png', internal.url]) {
      await w.bot.customerSays(session, { type: 'image', payload: { imageUrl } })
    }
    const notes = threadMessages(w, threadId)
      .filter((m) => m.direction === 'INCOMING')
      .slice(-3)
    for (const note of notes) {
      expect(note.attachments).toEqual([])
      expect(note.text).toMatch(/could not be attached: the file URL points inside a private network/)
    }
    const photo = await hostFile(w, 'photo.png', Buffer.from('png'), 'image/png')
    await w.bot.customerSays(session, { type: 'image', payload: { imageUrl: photo } })
    expect(threadMessages(w, threadId).at(-1)?.attachments).toHaveLength(1)
  })

  it('the customer is told when a file did not reach the agent: at once when an agent is assigned, else on assignment', async () => {
    const { w, session, threadId } = await escalated()
    await w.bot.customerSays(session, { type: 'image', payload: { imageUrl: 'http://169.254.169.254/x.png' } })
    expect(customerView(w, session)).toEqual([])
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual([
      'Your file “x.png” did not reach the agent: the file URL points inside a private network (169.254.169.254); such addresses are not fetched.',
    ])
    await w.bot.customerSays(session, {
      type: 'file',
      payload: { fileUrl: 'http://[::1]/report.pdf', title: 'report.pdf' },
    })
    expect(customerView(w, session).at(-1)?.payload.text).toMatch(/^Your file “report.pdf” did not reach the agent/)
    expect(w.bot.status(session)).toMatchObject({ agentName: 'Ann Agent' })
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
