// [one-click] A bot builder with no HubSpot app connects with Botpress's Connect button: the
// publisher's marketplace app, its credentials in the integration's secrets, OAuth through
// Botpress's OAuth route (routed by state = webhook ID), the portal claimed as the installation's
// identifier, the publisher app's webhooks routed by Botpress's global route to its owner.
// [publisher-routing] what the routes refuse, and bots sharing a portal.
// [manual-mode] the default world, which the rest of the suite runs on, is the manual configuration.
import { afterEach, describe, expect, it } from 'vitest'
import { forgetSetup } from '../../src/hitl/context'
import { signV1, signV3 } from '../../src/hubspot/signature'
import { HitlBot } from '../../testbed/botpress/hitl-bot'
import { setPublisherSecrets } from '../../testbed/world'
import {
  customerView,
  eventsOf,
  failureOf,
  formOf,
  jane,
  settle,
  submitted,
  threadMessages,
  threadOf,
  world,
  type Hop,
} from './helpers'

afterEach(() => setPublisherSecrets(undefined))

const escalate = (bot: HitlBot, name: string) =>
  bot.escalate({ customer: { name, email: `${name.toLowerCase().replace(' ', '.')}@example.com` } })

describe('[one-click] connect without a HubSpot app', () => {
  it('[one-click] Connect, escalation, assignment, replies both ways, close; disconnect revokes the token', async () => {
    const w = await world({ oneClick: true })
    // The configuration holds no HubSpot credential at all.
    expect(Object.keys(w.configuration).sort()).toEqual(['additionalInboxIds', 'defaultInboxId'])
    expect(w.driver.configurationType).toBeNull()

    // Each answer on Botpress's OAuth route disables its interstitial, or Botpress would show its own page.
    const start = await fetch(`${w.bp.webhookBaseUrl}/oauth/start?state=${w.driver.webhookId}`, { redirect: 'manual' })
    expect(start.status).toBe(302)
    expect(start.headers.get('x-bp-disable-interstitial')).toBe('true')
    const connected = await w.pressConnect()
    expect(connected.status).toBe(200)
    expect(connected.body).not.toContain('botpress-interstitial')
    expect(connected.body).toContain('HubSpot is connected')
    expect(connected.body).toContain(`portal ${w.hs.portalId}`)
    expect(w.bp.store.integrationSettings.get(w.driver.integrationId)?.identifier).toBe(w.hs.portalId)
    // The approval came back on Botpress's OAuth route, one URL for every installation.
    expect(w.bp.routed.filter((r) => r.route === 'oauth').map((r) => r.webhookId)).toEqual([
      w.driver.webhookId,
      w.driver.webhookId,
      w.driver.webhookId,
    ])
    expect(w.hs.portal.channels.size).toBe(1)

    const jane = await escalate(w.bot, 'Jane Doe')
    const thread = threadOf(w, jane)
    w.hs.agent.assign(thread, 'A-111')
    await settle(w)
    w.hs.agent.reply(thread, { actorId: 'A-111', text: 'Hello Jane' })
    await settle(w)
    await w.bot.customerSays(jane, { type: 'text', payload: { text: 'Thanks!' } })
    w.hs.agent.close(thread)
    await settle(w)

    expect(eventsOf(w, jane).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    expect(customerView(w, jane).map((m) => m.payload.text)).toEqual(['Hello Jane'])
    expect(
      threadMessages(w, thread)
        .map((m) => m.text)
        .at(-1)
    ).toContain('Thanks!')
    // The assignment and the close came through the global route, to this installation.
    const global = w.bp.routed.filter((r) => r.route === 'global')
    expect(global.length).toBeGreaterThan(0)
    expect(global.every((r) => r.webhookId === w.driver.webhookId && r.identifier === w.hs.portalId)).toBe(true)

    const tokens = [...w.hs.portal.tokens.refresh.values()].filter((t) => !t.revoked)
    await w.driver.unregister()
    const revoked = [...w.hs.portal.tokens.refresh.values()].filter((t) => t.revoked)
    expect(revoked.map((t) => t.token)).toEqual(
      expect.arrayContaining(tokens.filter((t) => t.token !== w.hs.refreshToken).map((t) => t.token))
    )
    expect(w.bp.store.integrationSettings.get(w.driver.integrationId)?.identifier).toBeNull()
  })

  it('[one-click] the identifier header of the connection page is the claim: a failing configureIntegration costs nothing, and register claims again', async () => {
    const w = await world({ oneClick: true })
    const fault = w.bp.faults.inject({ method: 'POST', path: '/v1/chat/integrations/configure', status: 400, count: 1 })
    const connected = await w.pressConnect()
    expect(fault.remaining).toBe(0)
    expect(connected.status).toBe(200)
    expect(connected.body).toContain('HubSpot is connected')
    expect(w.bp.store.ownerOfIdentifier(w.hs.portalId)).toBe(w.driver.integrationId)
    // The claim lost (say, the page answered but the header went nowhere): the hourly register claims again.
    w.bp.store.configureIntegration(w.driver.integrationId, { identifier: null })
    await w.driver.register()
    expect(w.bp.store.ownerOfIdentifier(w.hs.portalId)).toBe(w.driver.integrationId)
  })

  it("[one-click] connect, register and disconnect find the installation's channel by its recorded ID, never listing every customer's channels of the publisher app", async () => {
    const w = await world({ oneClick: true })
    await w.pressConnect()
    await w.driver.register()
    await w.driver.unregister()
    const channelCalls = w.hs.calls
      .filter((call) => /\/custom-channels\/[^/]+(\/\d+)?$/.test(call.path))
      .map((call) => `${call.method} ${call.path.replace(/^.*\/custom-channels\/[^/]+/, '').replace(/\d+$/, '<id>')}`)
    // Created at connect, read by its recorded ID at register, archived at disconnect; the list (GET
    // with no ID) is never asked, and no other installation is told of the removal.
    expect(channelCalls).toEqual(['POST ', 'GET /<id>', 'DELETE /<id>'])
  })

  it("[one-click] without inbox IDs, the confirmation page lists the portal's inboxes; the one picked there receives escalations, nothing copied", async () => {
    const w = await world({ oneClick: true, configuration: { defaultInboxId: undefined, additionalInboxIds: [] } })
    const beforeConnect = await failureOf(w.bot.escalate({ customer: jane }))
    expect(beforeConnect).toContain("HubSpot is not connected. Press Connect in the integration's page in Botpress")
    expect(beforeConnect).not.toContain('Refresh token')

    const connected = await w.pressConnect()
    const beforePick = await failureOf(w.bot.escalate({ customer: jane }))
    expect(beforePick).toContain('No HubSpot inbox is chosen yet.')
    expect(beforePick).toContain('pick the inbox on the page that opens')
    expect(connected.body).toContain('HubSpot is connected')
    expect(connected.body).toContain('Pick the inbox or help desk that receives escalations')
    for (const inbox of w.hs.inboxes) expect(connected.body).toContain(`ID ${inbox.id}`)
    const confirmation: Hop = { status: connected.status, location: null, body: connected.body }
    expect(formOf(confirmation)?.action).toBe(`${w.bp.webhookBaseUrl}/oauth/inbox`)
    const sales = w.hs.inboxes.find((inbox) => inbox.name === 'Sales')!

    const picked = await fetch(submitted(confirmation, { inbox: sales.id }))
    const pickedPage = await picked.text()
    expect(picked.status).toBe(200)
    expect(picked.headers.get('x-bp-disable-interstitial')).toBe('true')
    expect(pickedPage).toContain(`Escalations go to &quot;Sales&quot;`)
    expect(pickedPage).toContain(`ID ${sales.id}`)
    // The last page links to Botpress's own end of a connection flow, as its official flows end.
    const done = /<a class="done" href="([^"]+)"/.exec(pickedPage)?.[1]?.replace(/&amp;/g, '&')
    expect(done).toBe(`${w.bp.webhookBaseUrl.replace('webhook', 'app')}/oauth/interstitial?success=true`)
    expect(await (await fetch(done!)).text()).toContain('Configuration successful')
    // Its channel account is made at once, so the first escalation does not wait for it.
    expect(Object.keys((await readSetupPayload(w)).channelAccounts as object)).toEqual([sales.id])

    const session = await w.bot.escalate({ customer: jane })
    expect(w.hs.portal.threads.get(threadOf(w, session))?.inboxId).toBe(sales.id)

    // Connect again: the page shows the pick, checked, to change it.
    const again = await w.pressConnect()
    expect(again.body).toContain(`Escalations go to the inbox &quot;Sales&quot; (ID ${sales.id})`)
    expect(again.body).toMatch(new RegExp(`value="${sales.id}" required checked`))

    // Removing the integration forgets the pick with the connection.
    await w.driver.unregister()
    expect(w.bp.store.findState('integration', w.driver.integrationId, 'inboxChoice')?.payload ?? null).toBeNull()
  })

  it('[one-click] the inbox pick is refused without the proof of the approval, past its expiry, for an unknown inbox, or when the configuration names the inbox', async () => {
    const w = await world({ oneClick: true, configuration: { defaultInboxId: undefined, additionalInboxIds: [] } })
    const connected = await w.pressConnect()
    const confirmation: Hop = { status: connected.status, location: null, body: connected.body }
    const support = w.hs.inboxes[0]!
    const open = async (url: string) => {
      const response = await fetch(url)
      return { status: response.status, body: await response.text() }
    }
    // Someone who knows only the webhook ID (the state) cannot pick the inbox the chats go to.
    const forged = await open(`${w.bp.webhookBaseUrl}/oauth/inbox?state=${w.driver.webhookId}&inbox=${support.id}`)
    expect(forged.status).toBe(403)
    expect(forged.body).toContain('Press Connect in Botpress again')
    const { hidden } = formOf(confirmation)!
    const expired = await open(submitted(confirmation, { inbox: support.id, expires: String(Date.now() - 1) }))
    expect(expired.status).toBe(403)
    const tampered = await open(submitted(confirmation, { inbox: support.id, proof: `${hidden.proof!.slice(1)}x` }))
    expect(tampered.status).toBe(403)
    const unknown = await open(submitted(confirmation, { inbox: '4242' }))
    expect(unknown.status).toBe(400)
    expect(unknown.body).toContain('has no inbox with ID 4242')
    expect(w.bp.store.findState('integration', w.driver.integrationId, 'inboxChoice')).toBeUndefined()

    const configured = w.bp.connect({
      integrationUrl: w.integrationUrl,
      configuration: { ...w.configuration, defaultInboxId: support.id },
      configurationType: null,
      botId: w.driver.botId,
      botUserId: w.driver.botUserId,
      integrationId: w.driver.integrationId,
      webhookId: w.driver.webhookId,
    })
    await configured.register()
    const overridden = await open(submitted(confirmation, { inbox: support.id }))
    expect(overridden.status).toBe(409)
    expect(overridden.body).toContain('takes precedence')
  })

  it('[one-click] a bot connected to a portal is never moved to another one: the second approval is refused with the fix', async () => {
    const w = await world({ oneClick: true })
    await w.pressConnect()
    const realPortal = w.hs.portalId
    const token = [...w.hs.portal.tokens.refresh.values()].at(-1)!
    // The HubSpot stand-in serves one portal: the installation is made to serve portal 999 instead
    // (its setup state), so the next approval, for the stand-in's portal, is for another portal.
    await writeSetupPayload(w, { ...(await readSetupPayload(w)), portalId: '999' })
    forgetSetup(w.driver.integrationId)
    const second = await w.pressConnect()
    expect(second.status).toBe(409)
    expect(second.body).toContain('already connected to HubSpot portal 999')
    expect(second.body).toContain('remove the integration from this bot')
    expect(second.body).toContain(realPortal)
    expect(token.revoked).toBe(false)
    // The identifier stays where it was.
    expect(w.bp.store.integrationSettings.get(w.driver.integrationId)?.identifier).toBe(realPortal)
  })

  it('[one-click] a deployment without the publisher secrets says so at register and points to the manual configuration', async () => {
    const w = await world({ oneClick: { secrets: false }, register: false })
    const message = await failureOf(w.driver.register())
    expect(message).toContain('One-click connect is not available in this deployment.')
    expect(message).toContain('Manual: your own HubSpot app')
  })
})

const clientOf = async (w: Awaited<ReturnType<typeof world>>) => {
  const { Client } = await import('@botpress/client')
  return new Client({
    apiUrl: w.bp.url,
    token: w.bp.token,
    botId: w.driver.botId,
    integrationId: w.driver.integrationId,
    integrationAlias: w.driver.integrationAlias,
  })
}
const readSetupPayload = async (w: Awaited<ReturnType<typeof world>>) => {
  const { state } = await (
    await clientOf(w)
  ).getState({ type: 'integration', id: w.driver.integrationId, name: 'setup' })
  return state.payload as Record<string, unknown>
}
const writeSetupPayload = async (w: Awaited<ReturnType<typeof world>>, payload: Record<string, unknown>) => {
  await (await clientOf(w)).setState({ type: 'integration', id: w.driver.integrationId, name: 'setup', payload })
}

describe('[publisher-routing] Botpress routes and refusals', () => {
  it('[publisher-routing] two bots on one portal: the identifier owner hands the other its events; a state that is not a webhook ID and a forged global webhook are refused', async () => {
    const w = await world({ oneClick: true })
    await w.pressConnect()
    const secondDriver = w.connect(w.configuration)
    await secondDriver.register()
    await w.pressConnect(secondDriver)
    const second = new HitlBot(w.bp, secondDriver)
    // A new owner replaces the old one: the second bot now receives the portal's global webhooks.
    expect(w.bp.store.integrationSettings.get(secondDriver.integrationId)?.identifier).toBe(w.hs.portalId)
    expect(w.bp.store.integrationSettings.get(w.driver.integrationId)?.identifier).toBeNull()

    const jane = await escalate(w.bot, 'Jane Doe')
    const john = await escalate(second, 'John Roe')
    w.hs.agent.assign(threadOf(w, jane), 'A-111')
    w.hs.agent.assign(w.bp.store.conversations.get(john.conversationId)!.tags.hubspotThreadId!, 'A-222')
    await settle(w)
    expect(eventsOf(w, jane).map((e) => e.type)).toEqual(['hitlAssigned'])
    expect(second.events(john).map((e) => e.type)).toEqual(['hitlAssigned'])
    second.dispose()

    // Botpress's OAuth route: without a state, or with one that names no webhook, nothing is reached.
    for (const query of ['', '?state=not-a-webhook-id', `?state=${w.driver.webhookId}x`]) {
      const response = await fetch(`${w.bp.webhookBaseUrl}/oauth${query}&code=abc`.replace('oauth&', 'oauth?'))
      expect(response.status).toBe(400)
    }

    // A global webhook signed with another secret is refused by the owner.
    const body = JSON.stringify([
      {
        eventId: 1,
        subscriptionId: 1,
        portalId: Number(w.hs.portalId),
        appId: Number(w.hs.app.appId),
        occurredAt: Date.now(),
        attemptNumber: 0,
        subscriptionType: 'conversation.propertyChange',
        objectId: Number(threadOf(w, jane)),
        propertyName: 'status',
        propertyValue: 'CLOSED',
      },
    ])
    // The global route is named after the deployed integration, `<workspace handle>/<name>`.
    const url = w.bp.globalWebhookUrl()
    expect(url).toMatch(/\/integration\/global\/acme-publisher\/hubspot-inbox-hitl$/)
    const unhandled = await fetch(url.replace('/acme-publisher/', '/'), { method: 'POST', body: '[]' })
    expect(unhandled.status).toBe(404)
    const timestamp = Date.now()
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signV3({ secret: 'not-the-app-secret', method: 'POST', uri: url, body, timestamp }),
        'x-hubspot-request-timestamp': String(timestamp),
      },
      body,
    })
    expect(forged.status).toBe(401)
    const forgedV1 = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signV3({ secret: 'not-the-app-secret', method: 'POST', uri: url, body, timestamp }),
        'x-hubspot-request-timestamp': String(timestamp),
        'x-hubspot-signature': signV1({ secret: 'not-the-app-secret', body }),
        'x-hubspot-signature-version': 'v1',
      },
      body,
    })
    expect(forgedV1.status).toBe(401)
    // Signed as HubSpot signs app webhooks (v3 over the global URL, which the integration cannot
    // rebuild without the workspace handle, and v1 over the body), it is taken.
    const genuine = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signV3({ secret: w.hs.app.clientSecret, method: 'POST', uri: url, body, timestamp }),
        'x-hubspot-request-timestamp': String(timestamp),
        'x-hubspot-signature': signV1({ secret: w.hs.app.clientSecret, body }),
        'x-hubspot-signature-version': 'v1',
      },
      body,
    })
    expect(genuine.status).toBe(200)
    // A portal nobody claimed reaches no bot.
    const stranger = body.replace(`"portalId":${w.hs.portalId}`, '"portalId":424242')
    const unrouted = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stranger,
    })
    expect(unrouted.status).toBe(404)
    expect(eventsOf(w, jane).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
  })
})

describe('[manual-mode] the suite runs on the manual configuration', () => {
  it('[manual-mode] a 1.x installation upgraded to 2.x, its manual fields arriving as the default configuration, runs as manual', async () => {
    const w = await world({ register: false })
    // What Botpress hands over after the upgrade: the 1.x values, under the default configuration.
    const upgraded = w.bp.connect({
      integrationUrl: w.integrationUrl,
      configuration: w.configuration,
      configurationType: null,
    })
    expect(upgraded.configurationType).toBeNull()
    await upgraded.register()
    const bot = new HitlBot(w.bp, upgraded)
    const jane = await escalate(bot, 'Jane Doe')
    expect(w.bp.store.conversations.get(jane.conversationId)?.tags.hubspotThreadId).toBeTruthy()
    // Its own app, not the publisher's: no publisher secrets are set in this world.
    expect(process.env.SECRET_CLIENT_ID).toBeUndefined()
    bot.dispose()
  })

  it("[manual-mode] the default world installs configurations.manual with the bot builder's own app", async () => {
    const w = await world()
    expect(w.driver.configurationType).toBe('manual')
    expect(w.configuration).toMatchObject({ clientId: w.hs.app.clientId, appId: w.hs.app.appId })
    const jane = await escalate(w.bot, 'Jane Doe')
    expect(threadOf(w, jane)).toBeTruthy()
  })
})
