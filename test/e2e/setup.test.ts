// Setup in minutes: connect without curl, exact diagnostics, fast register.
import { describe, expect, it } from 'vitest'
import { uploadServedProject } from '../../testbed/world'
import { connectLink, connectThroughBrowser, failureOf, newBrowser, setEnv, threadOf, world } from './helpers'

const follow = async (url: string): Promise<{ status: number; location: string | null; body: string }> => {
  const response = await fetch(url, { redirect: 'manual' })
  return { status: response.status, location: response.headers.get('location'), body: await response.text() }
}

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

describe('[diagnostics] register reports every problem at once, each with its fix', () => {
  it('a rejected developer key, an unknown inbox and missing scopes together', async () => {
    const w = await world({ register: false })
    const limited = w.hs.issueRefreshToken({
      scopes: ['conversations.read', 'conversations.write', 'crm.objects.contacts.read', 'crm.objects.contacts.write'],
    })
    const driver = w.connect({
      ...w.configuration,
      developerApiKey: 'wrong-key',
      refreshToken: limited,
      defaultInboxId: '4242',
    })
    const message = await failureOf(driver.register())
    const lines = message.split('\n')
    expect(lines).toEqual(
      expect.arrayContaining([
        "The HubSpot connection lacks required scopes. Missing: conversations.custom_channels.read, conversations.custom_channels.write, files. Add them to the app's scopes, then reconnect HubSpot at " +
          `${connectLink(w, driver)}.`,
        'An inbox ID does not exist in the HubSpot portal. Not found in portal 243842089: 4242. Pick one of: Support (1001), Sales (1002), Help desk (1003).',
        expect.stringMatching(/^HubSpot rejected the developer API key or the app ID\. Copy the developer API key/),
      ])
    )
    expect(lines).toHaveLength(3)
    expect([...w.hs.portal.channels.values()]).toHaveLength(0)
  })

  it('a revoked refresh token asks to reconnect HubSpot', async () => {
    const w = await world({ register: false })
    w.hs.faults.revokeRefreshToken(w.hs.refreshToken)
    expect(await failureOf(w.driver.register())).toBe(
      `HubSpot rejected the refresh token. Reconnect HubSpot at ${connectLink(w)}: the token was revoked, the app was uninstalled, or it belongs to another app.`
    )
  })

  it('a wrong client secret is named', async () => {
    const w = await world({ register: false })
    const driver = w.connect({ ...w.configuration, clientSecret: 'not-the-secret' })
    expect(await failureOf(driver.register())).toMatch(/^HubSpot rejected the client ID or client secret\./)
  })

  it('the contact policy "create" without the contacts write scope is named', async () => {
    const w = await world({ register: false })
    const scopes = [
      'conversations.custom_channels.read',
      'conversations.custom_channels.write',
      'conversations.read',
      'conversations.write',
      'crm.objects.contacts.read',
      'files',
    ]
    const driver = w.connect({ ...w.configuration, refreshToken: w.hs.issueRefreshToken({ scopes }) })
    expect(await failureOf(driver.register())).toMatch(
      /^The contact policy "create" needs the crm\.objects\.contacts\.write scope\./
    )
    const anonymous = w.connect({
      ...w.configuration,
      contactPolicy: 'anonymous',
      refreshToken: w.hs.issueRefreshToken({ scopes }),
    })
    await expect(anonymous.register()).resolves.toBeUndefined()
  })

  it('a HubSpot that cannot describe the token still gets set up, without the scope checks', async () => {
    const w = await world({ register: false })
    w.hs.faults.inject({ method: 'GET', path: /\/oauth\/v1\/access-tokens\//, status: 404, count: 10 })
    await w.driver.register()
    expect([...w.hs.portal.channels.values()].filter((c) => !c.archived)).toHaveLength(1)
  })

  it('an invalid configuration names each field', async () => {
    const w = await world({ register: false })
    const driver = w.connect({ ...w.configuration, appId: 'my app', defaultCountry: 'Canada' })
    const message = await failureOf(driver.register())
    expect(message).toMatch(/^The configuration is invalid\./)
    expect(message).toContain('appId')
    expect(message).toContain('defaultCountry')
  })
})

describe('[signature] the public URL', () => {
  it('register uses the webhook URL Botpress gives it, and webhooks are verified against it even when BP_WEBHOOK_URL differs', async () => {
    const w = await world({ register: false })
    setEnv({ BP_WEBHOOK_URL: 'https://webhook.elsewhere.test' })
    await w.driver.register()
    expect([...w.hs.portal.channels.values()][0]?.webhookUrl).toBe(w.driver.webhookUrl)
    const session = await w.bot.escalate({ customer: { name: 'Jane', email: 'jane.doe@example.com' } })
    w.hs.agent.reply(threadOf(w, session), { actorId: 'A-111', text: 'Signed for the right URL' })
    await w.hs.settle()
    expect(w.bot.agentMessages(session).map((m) => m.payload.text)).toEqual(['Signed for the right URL'])
  })
})

describe('[register-speed] register is fast even when HubSpot is slow to list a new channel', () => {
  it('finishes in under 5 seconds and does not wait for the listing', async () => {
    const w = await world({ register: false })
    w.hs.hideNewChannelsFromListFor(100)
    w.hs.faults.latency(150)
    const started = Date.now()
    await w.driver.register()
    expect(Date.now() - started).toBeLessThan(5000)
    await w.driver.register()
    expect([...w.hs.portal.channels.values()].filter((c) => !c.archived)).toHaveLength(1)
  })
})
