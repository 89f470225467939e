// Install and uninstall: register creates the channel once and reports every problem at once with
// its fix, fast; unregister archives what it created.
import { describe, expect, it } from 'vitest'
import { failureOf, world, connectLink } from './helpers'

describe('install and uninstall', () => {
  it('register creates one custom channel and one channel account per inbox, and saving again creates nothing', async () => {
    const w = await world()
    const channels = () => [...w.hs.portal.channels.values()].filter((c) => !c.archived)
    const accounts = () => [...w.hs.portal.channelAccounts.values()].filter((a) => !a.archived)
    expect(channels()).toHaveLength(1)
    expect(channels()[0]!.webhookUrl).toBe(w.driver.webhookUrl)
    expect(
      accounts()
        .map((a) => a.inboxId)
        .sort()
    ).toEqual(['1001', '1002'])

    w.hs.resetCalls()
    await w.driver.register()
    await w.driver.register()
    expect(channels()).toHaveLength(1)
    expect(accounts()).toHaveLength(2)
    // Token introspection is a POST that reads; nothing else but reads may happen.
    expect(
      w.hs.calls.filter((c) => c.method !== 'GET' && !c.path.endsWith('/token/introspect') && c.status < 300)
    ).toEqual([])
  })

  it('unregister archives the channel it created', async () => {
    const w = await world()
    const [channel] = [...w.hs.portal.channels.values()]
    await w.driver.unregister()
    expect(w.hs.portal.channels.get(channel!.id)?.archived ?? true).toBe(true)
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
