// [shared-app] Two Botpress bots, each with its own installation, on one HubSpot app and one portal.
// The app's webhooks go to one target URL, whichever installation's it is: assignments and closes
// still reach the installation whose thread they are about, and nothing goes anywhere else.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { HitlBot } from '../../testbed/botpress/hitl-bot'
import { uploadServedProject, type World } from '../../testbed/world'
import { captureOutput } from '../support/output'
import { customerView, eventsOf, settle, threadOf, world } from './helpers'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

// Something that is not one of our channels, counting what reaches it.
const trap = async () => {
  const hits: string[] = []
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`)
    res.writeHead(200).end('{}')
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits }
}

// A second bot with its own installation of the integration on the same app and portal.
const secondInstallation = async (w: World) => {
  const driver = w.connect({ ...w.configuration, refreshToken: w.hs.issueRefreshToken() })
  await driver.register()
  return { driver, bot: new HitlBot(w.bp, driver) }
}

// What each of these installations prints while `work` runs.
const logged = async (work: () => Promise<unknown>): Promise<string> => {
  const capture = captureOutput()
  try {
    await work()
  } finally {
    capture.stop()
  }
  return capture.lines.join('\n')
}

const escalate = (bot: HitlBot, name: string) =>
  bot.escalate({ customer: { name, email: `${name.toLowerCase().replace(' ', '.')}@example.com` } })

describe('[shared-app] one HubSpot app, two installations', () => {
  it.each(['the first', 'the second'] as const)(
    '[shared-app] with %s installation holding the app target URL, assignments, replies and closes reach the right bot',
    async (holder) => {
      const w = await world()
      const second = await secondInstallation(w)
      const targetUrl = holder === 'the first' ? w.driver.webhookUrl : second.driver.webhookUrl
      await uploadServedProject(w.hs, targetUrl)
      expect(w.hs.portal.channels.size).toBe(2)

      const jane = await escalate(w.bot, 'Jane Doe')
      const john = await escalate(second.bot, 'John Roe')
      const janeThread = threadOf(w, jane)
      const johnThread = w.bp.store.conversations.get(john.conversationId)!.tags.hubspotThreadId!
      expect(w.hs.portal.threads.get(janeThread)!.originalChannelId).not.toBe(
        w.hs.portal.threads.get(johnThread)!.originalChannelId
      )

      w.hs.agent.assign(janeThread, 'A-111')
      w.hs.agent.assign(johnThread, 'A-222')
      await settle(w)
      w.hs.agent.reply(janeThread, { actorId: 'A-111', text: 'Hi Jane' })
      w.hs.agent.reply(johnThread, { actorId: 'A-222', text: 'Hi John' })
      await settle(w)
      w.hs.agent.close(janeThread)
      w.hs.agent.close(johnThread)
      await settle(w)

      expect(eventsOf(w, jane).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
      expect(second.bot.events(john).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
      expect(customerView(w, jane).map((m) => m.payload.text)).toEqual(['Hi Jane'])
      expect(second.bot.agentMessages(john).map((m) => m.payload.text)).toEqual(['Hi John'])
      // Each bot's agent is the one HubSpot assigned, as that bot's user.
      const agentOf = (events: { type: string; payload: Record<string, unknown> }[]) =>
        events.find((e) => e.type === 'hitlAssigned')!.payload.userId as string
      expect(w.bp.store.users.get(agentOf(eventsOf(w, jane)))?.name).toMatch(/Ann/)
      expect(w.bp.store.users.get(agentOf(second.bot.events(john)))?.botId).toBe(second.driver.botId)

      // The app's events all went to the holder; the other installation got its own by forwarding.
      const appDeliveries = w.hs.deliveries.filter((d) => d.kind === 'app')
      expect(new Set(appDeliveries.map((d) => d.url))).toEqual(new Set([targetUrl]))
      second.bot.dispose()
    }
  )

  it('[shared-app] nothing reaches a URL that is not one of our channels, and a thread of no installation costs one lookup', async () => {
    const w = await world()
    const second = await secondInstallation(w)
    const outsider = await trap()
    // A channel of the app that leads outside Botpress, with a thread of its own, and a thread of
    // a channel that is not the app's (an email thread).
    const now = new Date().toISOString()
    w.hs.portal.channels.set('9001', {
      id: '9001',
      name: 'Elsewhere',
      capabilities: w.hs.portal.channels.values().next().value!.capabilities,
      createdAt: now,
      updatedAt: now,
      webhookUrl: outsider.url,
      archived: false,
      hiddenFromListCalls: 0,
    })
    const customer = { kind: 'visitor' as const, id: '1', actorId: 'V-1' }
    const base = {
      status: 'OPEN' as const,
      inboxId: w.hs.inboxes[0]!.id,
      associatedContactId: '1',
      originalChannelAccountId: '1',
      createdAt: now,
      archived: false,
      spam: false,
      customer,
    }
    w.hs.portal.threads.set('8801', { ...base, id: '8801', originalChannelId: '9001' })
    w.hs.portal.threads.set('8802', { ...base, id: '8802', originalChannelId: '1000' })

    w.hs.resetCalls()
    for (const threadId of ['8801', '8802']) {
      w.hs.agent.assign(threadId, 'A-111')
      w.hs.agent.close(threadId)
    }
    await settle(w)
    expect(outsider.hits).toEqual([])
    // One thread read per unknown thread (the process remembers its channel), nothing else.
    const reads = w.hs.calls.filter((call) => call.path.match(/\/threads\/88\d\d$/))
    expect(reads.map((call) => call.path.split('/').at(-1))).toEqual(['8801', '8802'])
    expect(w.hs.deliveries.filter((d) => d.kind === 'app').every((d) => d.status === 200)).toBe(true)
    second.bot.dispose()
  })

  it('[shared-app] a deleted (archived) thread of the other installation is handed on, and its session ends', async () => {
    const w = await world()
    const second = await secondInstallation(w)
    await uploadServedProject(w.hs, w.driver.webhookUrl)
    const john = await escalate(second.bot, 'John Roe')
    const johnThread = w.bp.store.conversations.get(john.conversationId)!.tags.hubspotThreadId!
    await settle(w)

    // The holder has never seen this thread: it must read it although HubSpot now hides it (404
    // without archived=true).
    w.hs.resetCalls()
    w.hs.agent.delete(johnThread)
    await settle(w)
    expect(w.hs.portal.threads.get(johnThread)!.archived).toBe(true)
    expect(second.bot.events(john).map((e) => e.type)).toEqual(['hitlStopped'])
    expect(second.bot.events(john).map((e) => e.botId)).toEqual([second.driver.botId])
    const reads = w.hs.calls.filter((call) => call.method === 'GET' && call.path.endsWith(`/threads/${johnThread}`))
    expect(reads.map((call) => call.status)).toEqual([404, 200])
    expect(
      w.hs.deliveries.filter((d) => d.kind === 'app').every((d) => d.url === w.driver.webhookUrl && d.status === 200)
    ).toBe(true)
    second.bot.dispose()
  })

  it('[shared-app] a forwarded event is never forwarded again, and a forged one is refused', async () => {
    const w = await world()
    const second = await secondInstallation(w)
    await uploadServedProject(w.hs, w.driver.webhookUrl)
    const john = await escalate(second.bot, 'John Roe')
    const johnThread = w.bp.store.conversations.get(john.conversationId)!.tags.hubspotThreadId!

    // The second installation receives, as a forward, an event about the first one's thread space:
    // a thread nobody has. It does not hand it on.
    const event = [
      {
        eventId: 1,
        subscriptionId: 1,
        portalId: Number(w.hs.portalId),
        appId: Number(w.hs.app.appId),
        occurredAt: Date.now(),
        attemptNumber: 0,
        subscriptionType: 'conversation.propertyChange',
        objectId: 4242,
        propertyName: 'assignedTo',
        propertyValue: '111',
      },
    ]
    const body = JSON.stringify(event)
    const { signV3 } = await import('../../src/hubspot/signature')
    const timestamp = Date.now()
    const signed = (secret: string) => ({
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signV3({ secret, method: 'POST', uri: second.driver.webhookUrl, body, timestamp }),
      'x-hubspot-request-timestamp': String(timestamp),
      'x-botpress-hitl-forwarded-from': '2001',
    })
    const forwarded = await fetch(second.driver.webhookUrl, {
      method: 'POST',
      headers: signed(w.hs.app.clientSecret),
      body,
    })
    expect(forwarded.status).toBe(200)
    expect(await forwarded.json()).toEqual({ handled: ['ignored: not a HITL thread'] })
    const forged = await fetch(second.driver.webhookUrl, { method: 'POST', headers: signed('not-the-secret'), body })
    expect(forged.status).toBe(401)

    // A real assignment of John's thread reaches the second bot through the first installation.
    w.hs.agent.assign(johnThread, 'A-222')
    await settle(w)
    expect(second.bot.events(john).map((e) => e.type)).toEqual(['hitlAssigned'])
    // Emitted by the second bot's installation, not the first's.
    expect(second.bot.events(john).map((e) => e.botId)).toEqual([second.driver.botId])
    second.bot.dispose()
  })

  it('[shared-app] a legacy app: the second installation leaves the target URL with the first, and both get their events', async () => {
    const w = await world({ hubspot: { appKind: 'legacy' } })
    expect(w.hs.portal.appWebhookSettings?.targetUrl).toBe(w.driver.webhookUrl)
    const second = await secondInstallation(w)
    expect(w.hs.portal.appWebhookSettings?.targetUrl).toBe(w.driver.webhookUrl)
    const john = await escalate(second.bot, 'John Roe')
    const johnThread = w.bp.store.conversations.get(john.conversationId)!.tags.hubspotThreadId!
    w.hs.agent.assign(johnThread, 'A-222')
    await settle(w)
    w.hs.agent.close(johnThread)
    await settle(w)
    expect(second.bot.events(john).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    second.bot.dispose()
  })
})

type Installation = { driver: World['driver']; bot: HitlBot }
type AppKind = 'project' | 'legacy'

// A session on one installation, assigned and closed by the agent: its bot gets both events.
const assignAndClose = async (w: World, installation: Installation, name: string) => {
  const session = await escalate(installation.bot, name)
  const threadId = w.bp.store.conversations.get(session.conversationId)!.tags.hubspotThreadId!
  w.hs.agent.assign(threadId, 'A-111')
  await settle(w)
  w.hs.agent.close(threadId)
  await settle(w)
  return installation.bot
    .events(session)
    .map((e) => `${e.type} ${e.botId === installation.driver.botId ? 'own bot' : 'other bot'}`)
}

const uninstall = async (installation: Installation) => {
  installation.bot.dispose()
  await installation.driver.unregister()
}

const targetOf = (w: World) => w.hs.portal.appWebhookSettings?.targetUrl
const projectLine = (heirUrl: string) => `set settings.targetUrl in src/app/webhooks/webhooks-hsmeta.json to ${heirUrl}`
const channelOf = (w: World, installation: Installation) =>
  [...w.hs.portal.channels.values()].find(
    (channel) => channel.webhookUrl === installation.driver.webhookUrl && !channel.archived
  )!.id

describe.each(['project', 'legacy'] as AppKind[])('[shared-app] installations that come and go, %s app', (appKind) => {
  const start = () => world({ hubspot: { appKind } })

  it(`[shared-app] install A, then B, then uninstall A (${appKind} app): B gets its assignments and closes, or its log says what to change`, async () => {
    const w = await start()
    const a: Installation = { driver: w.driver, bot: w.bot }
    const b = await secondInstallation(w)
    expect(targetOf(w)).toBe(a.driver.webhookUrl)
    const removedChannel = channelOf(w, a)

    const log = await logged(() => uninstall(a))
    if (appKind === 'legacy') {
      // tearDown moved the target itself; B is told there is nothing to do.
      expect(targetOf(w)).toBe(b.driver.webhookUrl)
      expect(log).toContain(`The app's webhook target URL is now ${b.driver.webhookUrl}, a remaining installation`)
    } else {
      // No API moves a project app's target: B's log says what to change, and how.
      expect(log).toContain(
        `The installation of channel ${removedChannel} (${a.driver.webhookUrl}) was removed from this HubSpot app`
      )
      expect(log).toContain(
        `${projectLine(`this installation's URL, ${b.driver.webhookUrl}`)}, then run hs project upload`
      )
      expect(log).toContain(`${b.driver.webhookUrl}/hubspot-project`)
      // And again at its next save, until the app's events arrive.
      expect(await logged(() => b.driver.register())).toContain(
        projectLine(`this installation's URL, ${b.driver.webhookUrl}`)
      )
      await uploadServedProject(w.hs, b.driver.webhookUrl)
    }
    expect(await assignAndClose(w, b, 'John Roe')).toEqual(['hitlAssigned own bot', 'hitlStopped own bot'])
    // Events arrived: a later save no longer asks for anything.
    expect(await logged(() => b.driver.register())).not.toContain('was removed from this HubSpot app')
    b.bot.dispose()
  })

  it(`[shared-app] install A, uninstall A, then install B (${appKind} app): B gets its assignments and closes`, async () => {
    const w = await start()
    await uninstall({ driver: w.driver, bot: w.bot })
    const driver = w.connect({ ...w.configuration, refreshToken: w.hs.issueRefreshToken() })
    // B's bot builder sets up as for a first installation: on a project app, uploads B's project.
    if (appKind === 'project') await uploadServedProject(w.hs, driver.webhookUrl)
    await driver.register()
    expect(targetOf(w)).toBe(driver.webhookUrl)
    const b = { driver, bot: new HitlBot(w.bp, driver) }
    expect(await assignAndClose(w, b, 'John Roe')).toEqual(['hitlAssigned own bot', 'hitlStopped own bot'])
    b.bot.dispose()
  })

  it(`[shared-app] three installations, the one in the middle (holding the target URL) removed (${appKind} app): the other two get their assignments and closes, or are told what to change`, async () => {
    const w = await start()
    const a: Installation = { driver: w.driver, bot: w.bot }
    const b = await secondInstallation(w)
    const c = await secondInstallation(w)
    // The middle installation holds the app's target URL.
    if (appKind === 'project') await uploadServedProject(w.hs, b.driver.webhookUrl)
    else w.hs.portal.appWebhookSettings!.targetUrl = b.driver.webhookUrl
    const heirChannel = channelOf(w, a)

    const log = await logged(() => uninstall(b))
    if (appKind === 'legacy') {
      expect(targetOf(w)).toBe(a.driver.webhookUrl)
      expect(
        log.split(`The app's webhook target URL is now ${a.driver.webhookUrl}, a remaining installation`).length - 1
      ).toBe(2)
    } else {
      // Both remaining installations say the same: point it at A, the oldest channel.
      expect(log).toContain(projectLine(`this installation's URL, ${a.driver.webhookUrl}`))
      expect(log).toContain(
        projectLine(
          `${a.driver.webhookUrl} (the installation of channel ${heirChannel}, which hands this one the events of its threads)`
        )
      )
      await uploadServedProject(w.hs, a.driver.webhookUrl)
    }
    expect(await assignAndClose(w, a, 'Jane Doe')).toEqual(['hitlAssigned own bot', 'hitlStopped own bot'])
    expect(await assignAndClose(w, c, 'John Roe')).toEqual(['hitlAssigned own bot', 'hitlStopped own bot'])
    c.bot.dispose()
  })
})
