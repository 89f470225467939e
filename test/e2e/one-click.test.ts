// [one-click] A bot builder with no HubSpot app connects with Botpress's Connect button: the
// publisher's marketplace app, its credentials in the integration's secrets, OAuth through
// Botpress's OAuth route (routed by state = webhook ID), the portal claimed as the installation's
// identifier, the publisher app's webhooks routed by Botpress's global route to its owner.
// [manual-mode] the default world, which the rest of the suite runs on, is the manual configuration.
import { afterEach, describe, expect, it } from 'vitest'
import { forgetSetup } from '../../src/hitl/context'
import { HitlBot } from '../../testbed/botpress/hitl-bot'
import { setPublisherSecrets } from '../../testbed/world'
import { customerView, eventsOf, failureOf, settle, threadMessages, threadOf, world } from './helpers'

afterEach(() => setPublisherSecrets(undefined))

const escalate = (bot: HitlBot, name: string) =>
  bot.escalate({ customer: { name, email: `${name.toLowerCase().replace(' ', '.')}@example.com` } })

describe('[one-click] connect without a HubSpot app', () => {
  it('[one-click] Connect, escalation, assignment, replies both ways, close; disconnect revokes the token', async () => {
    const w = await world({ oneClick: true })
    // The configuration holds no HubSpot credential at all.
    expect(Object.keys(w.configuration).sort()).toEqual(['additionalInboxIds', 'defaultInboxId'])
    expect(w.driver.configurationType).toBeNull()

    const connected = await w.pressConnect()
    expect(connected.status).toBe(200)
    expect(connected.body).toContain('HubSpot is connected')
    expect(connected.body).toContain(`portal ${w.hs.portalId}`)
    expect(w.bp.store.integrationSettings.get(w.driver.integrationId)?.identifier).toBe(w.hs.portalId)
    // The approval came back on Botpress's OAuth route, one URL for every installation.
    expect(w.bp.routed.filter((r) => r.route === 'oauth').map((r) => r.webhookId)).toEqual([
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

  it("[one-click] without inbox IDs, the confirmation page lists the portal's inboxes to pick from", async () => {
    const w = await world({ oneClick: true, configuration: { defaultInboxId: undefined, additionalInboxIds: [] } })
    const connected = await w.pressConnect()
    expect(connected.body).toContain('HubSpot is connected')
    for (const inbox of w.hs.inboxes) expect(connected.body).toContain(`ID ${inbox.id}`)
    const session = failureOf(w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane@example.com' } }))
    expect(await session).toContain('No HubSpot inbox is chosen yet.')
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

describe('[manual-mode] the suite runs on the manual configuration', () => {
  it("[manual-mode] the default world installs configurations.manual with the bot builder's own app", async () => {
    const w = await world()
    expect(w.driver.configurationType).toBe('manual')
    expect(w.configuration).toMatchObject({ clientId: w.hs.app.clientId, appId: w.hs.app.appId })
    const jane = await escalate(w.bot, 'Jane Doe')
    expect(threadOf(w, jane)).toBeTruthy()
  })
})
