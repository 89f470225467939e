// [publisher-routing] The publisher's one app serves every customer's portal: Botpress's global
// route hands each app webhook to the installation that owns its portal's identifier, that
// installation hands on what belongs to another bot of the same portal (src/hitl/forwarding.ts),
// and nothing ever crosses from one customer's portal to another's.
import { afterEach, describe, expect, it } from 'vitest'
import { signV1, signV3 } from '../../src/hubspot/signature'
import { HitlBot } from '../../testbed/botpress/hitl-bot'
import { setPublisherSecrets, type World } from '../../testbed/world'
import { pressConnect, settle, threadOf, world } from './helpers'

afterEach(() => setPublisherSecrets(undefined))

const escalate = (bot: HitlBot, name: string) =>
  bot.escalate({ customer: { name, email: `${name.toLowerCase().replace(' ', '.')}@example.com` } })

// A global webhook as HubSpot sends it (one event), signed with `secret` over the global URL.
const globalWebhook = (w: World, event: Record<string, unknown>, secret = w.hs.app.clientSecret) => {
  const body = JSON.stringify([
    {
      eventId: 1,
      subscriptionId: 1,
      appId: Number(w.hs.app.appId),
      occurredAt: Date.now(),
      attemptNumber: 0,
      subscriptionType: 'conversation.propertyChange',
      propertyName: 'status',
      propertyValue: 'CLOSED',
      ...event,
    },
  ])
  const url = w.bp.globalWebhookUrl()
  const timestamp = Date.now()
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signV3({ secret, method: 'POST', uri: url, body, timestamp }),
      'x-hubspot-request-timestamp': String(timestamp),
      // HubSpot signs app webhooks with v1 too, the one signature the integration can check on a URL it cannot know.
      'x-hubspot-signature': signV1({ secret, body }),
      'x-hubspot-signature-version': 'v1',
    },
    body,
  })
}

describe('[publisher-routing] two customers, three bots', () => {
  it('[publisher-routing] every assignment, agent reply and close reaches exactly its bot; the identifier owner hands on only within its portal; nothing crosses portals', async () => {
    const w = await world({ oneClick: true, hubspot: { extraPortals: 1 } })
    const [first, second] = w.hs.portals
    // Customer 1 (first portal): bots A and B. Customer 2 (second portal): bot C.
    const driverA = w.driver
    const driverB = w.connect(w.configuration)
    const driverC = w.connect({
      ...w.configuration,
      defaultInboxId: second!.inboxes[0]!.id,
      additionalInboxIds: [second!.inboxes[1]!.id],
    })
    await driverB.register()
    await driverC.register()
    for (const [driver, portal] of [
      [driverA, first!],
      [driverB, first!],
      [driverC, second!],
    ] as const) {
      const connected = await pressConnect(w, driver, { portalId: portal.portalId })
      expect(connected.body).toContain(`portal ${portal.portalId}`)
    }
    expect(w.hs.installs().map((install) => install.portalId)).toEqual([first!.portalId, second!.portalId])
    // A new owner replaces the old one: B owns the first portal, C the second, A none.
    const identifierOf = (driver: typeof driverA) =>
      w.bp.store.integrationSettings.get(driver.integrationId)?.identifier
    expect([identifierOf(driverA), identifierOf(driverB), identifierOf(driverC)]).toEqual([
      null,
      first!.portalId,
      second!.portalId,
    ])
    const [botA, botB, botC] = [w.bot, new HitlBot(w.bp, driverB), new HitlBot(w.bp, driverC)]
    const [ann, ben, cat] = [
      await escalate(botA, 'Ann Alpha'),
      await escalate(botB, 'Ben Beta'),
      await escalate(botC, 'Cat Gamma'),
    ]
    const threads = [threadOf(w, ann), threadOf(w, ben), threadOf(w, cat)]
    // Each thread is in its customer's portal, and the ids never collide across portals.
    expect(
      threads.map((id) => (first!.portal.threads.has(id) ? 'first' : second!.portal.threads.has(id) ? 'second' : '?'))
    ).toEqual(['first', 'first', 'second'])

    const portalOf = [first!, first!, second!]
    w.bp.relayed.length = 0
    for (const [index, thread] of threads.entries()) portalOf[index]!.agent.assign(thread, 'A-111')
    await settle(w)
    for (const [index, thread] of threads.entries()) {
      portalOf[index]!.agent.reply(thread, { actorId: 'A-111', text: `Reply ${index}` })
    }
    await settle(w)
    for (const [index, thread] of threads.entries()) portalOf[index]!.agent.close(thread)
    await settle(w)

    const seen = (bot: HitlBot, session: typeof ann) => ({
      events: bot.events(session).map((event) => event.type),
      replies: bot.agentMessages(session).map((message) => message.payload.text),
    })
    expect(seen(botA, ann)).toEqual({ events: ['hitlAssigned', 'hitlStopped'], replies: ['Reply 0'] })
    expect(seen(botB, ben)).toEqual({ events: ['hitlAssigned', 'hitlStopped'], replies: ['Reply 1'] })
    expect(seen(botC, cat)).toEqual({ events: ['hitlAssigned', 'hitlStopped'], replies: ['Reply 2'] })
    // Each conversation's events are its own bot's: none went to another bot.
    for (const [bot, session, driver] of [
      [botA, ann, driverA],
      [botB, ben, driverB],
      [botC, cat, driverC],
    ] as const) {
      expect(bot.events(session).every((event) => event.botId === driver.botId)).toBe(true)
    }

    // The global route gave each portal's webhooks to its owner only.
    const global = w.bp.routed.filter((entry) => entry.route === 'global')
    expect(global.length).toBeGreaterThan(0)
    for (const entry of global) {
      expect(entry.webhookId).toBe(entry.identifier === first!.portalId ? driverB.webhookId : driverC.webhookId)
    }
    // Every hand-on went from B to A, within the first portal: A's assignment and close.
    expect(w.bp.relayed.length).toBeGreaterThanOrEqual(2)
    for (const handed of w.bp.relayed) {
      expect(handed.webhookId).toBe(driverA.webhookId)
      expect(JSON.parse(handed.body)[0].portalId).toBe(Number(first!.portalId))
    }

    // A genuine signature on an event naming the second portal and a thread of the first: it goes to
    // C, which cannot read that thread with its portal's token, and nobody acts on it.
    w.bp.relayed.length = 0
    const crossing = await globalWebhook(w, { portalId: Number(second!.portalId), objectId: Number(threads[0]) })
    expect(crossing.status).toBe(200)
    expect(w.bp.relayed).toEqual([])
    // A forged global webhook is refused by the owner it reaches.
    const forged = await globalWebhook(
      w,
      { portalId: Number(second!.portalId), objectId: Number(threads[2]) },
      'forged'
    )
    expect(forged.status).toBe(401)
    expect(seen(botC, cat).events).toEqual(['hitlAssigned', 'hitlStopped'])
    // A state that is not a webhook ID reaches no installation.
    const stranger = await fetch(`${w.bp.webhookBaseUrl}/oauth?state=${second!.portalId}&code=abc`)
    expect(stranger.status).toBe(400)
    for (const bot of [botB, botC]) bot.dispose()
  })
})

describe('[publisher-routing] removing an installation', () => {
  it('[publisher-routing] removing a one-click installation hands nothing over: no other installation is told or sent anything', async () => {
    const w = await world({ oneClick: true })
    await w.pressConnect()
    const otherDriver = w.connect(w.configuration)
    await otherDriver.register()
    await w.pressConnect(otherDriver)
    const other = new HitlBot(w.bp, otherDriver)

    await w.driver.unregister()
    await settle(w)
    // In manual mode the removed installation tells the others where the app's webhooks must go;
    // the publisher app's webhooks go to Botpress's global route, and its other installations are
    // other customers' bots.
    expect(w.bp.relayed).toEqual([])
    const otherSetup = w.bp.store.findState('integration', otherDriver.integrationId, 'setup')?.payload
    expect(otherSetup).toBeDefined()
    expect(otherSetup).not.toHaveProperty('removedSibling')
    other.dispose()
  })
})
