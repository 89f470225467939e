// [no-redelivery] HubSpot delivers a refused webhook again only after minutes (2, then 4, 8, …), so
// normal situations (a session still opening, another process busy, a sibling slow) must never need
// it: every delivery is answered 2xx on its first attempt, and the customer sees the result within
// 5 s. The stand-in redelivers on HubSpot's real schedule here.
import { afterEach, describe, expect, it } from 'vitest'
import { HitlBot } from '../../testbed/botpress/hitl-bot'
import { startWorldOnProcesses, type ProcessPool } from '../../testbed/multi-process'
import { uploadServedProject, type World } from '../../testbed/world'
import {
  customerView,
  eventsOf,
  hostFile,
  postWebhook,
  sendAppWebhook,
  settle,
  threadOf,
  v3Headers,
  withheldAgentReply,
  world,
  sleep,
} from './helpers'

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')
const waitFor = async (what: string, condition: () => boolean, withinMs = 5_000): Promise<number> => {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > withinMs) throw new Error(`${what}: not within ${withinMs} ms`)
    await sleep(25)
  }
  return Date.now() - start
}

// Every webhook HubSpot sent was answered 2xx the first time: none waits for a redelivery.
const expectNoRedeliveryNeeded = (w: World) => {
  const refused = w.hs.deliveries.filter((d) => d.status === null || d.status < 200 || d.status >= 300)
  expect(refused.map((d) => `${d.status} ${d.answer ?? d.error ?? ''}`)).toEqual([])
  expect(w.hs.deliveries.filter((d) => d.attempt > 0 && !d.duplicate)).toEqual([])
}

let pool: ProcessPool | undefined
afterEach(async () => {
  await pool?.close()
  pool = undefined
})

describe('[no-redelivery] normal situations are answered 2xx at once', () => {
  it('[no-redelivery] an assignment made at 0 ms while a transcript with slow files is written reaches the customer', async () => {
    const w = await world()
    w.hs.settings.autoAssign = { actorId: 'A-111', delayMs: 0 }
    const urls = await Promise.all(['receipt.png', 'parcel.png'].map((name) => hostFile(w, name, PNG, 'image/png')))
    // Each file takes 1.5 s to reach HubSpot's file manager: the transcript takes about 3 s.
    w.hs.faults.latency(1_500, { method: 'POST', path: /files/ })
    const started = Date.now()
    const session = await w.bot.escalate({
      customer: { name: 'Jane Doe', email: 'jane.doe@example.com' },
      history: [
        { from: 'customer', type: 'text', payload: { text: 'My parcel arrived broken' } },
        ...urls.map((imageUrl) => ({ from: 'customer' as const, type: 'image', payload: { imageUrl } })),
      ],
    })
    expect(Date.now() - started).toBeGreaterThan(2_500)
    await waitFor('the plugin names the agent', () => w.bot.status(session)?.agentUserId !== undefined)
    expect(w.bot.status(session)?.agentName).toContain('Ann')
    expect(w.bot.dropped(session).events).toEqual([])
    await settle(w)
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned'])
    expectNoRedeliveryNeeded(w)
  })

  it('[no-redelivery] a close batched with events of unrelated threads, while another escalation is opening, ends the session at once', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    // Another escalation with a slow file is being written meanwhile.
    const url = await hostFile(w, 'photo.png', PNG, 'image/png')
    w.hs.faults.latency(2_000, { method: 'POST', path: /files/ })
    const opening = w.bot.escalate({
      customer: { name: 'John Roe', email: 'john.roe@example.com' },
      history: [{ from: 'customer', type: 'image', payload: { imageUrl: url } }],
    })
    await sleep(300)
    const answer = await sendAppWebhook(w, [
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: 99999991,
        propertyName: 'assignedTo',
        propertyValue: '111',
      },
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: Number(threadId),
        propertyName: 'status',
        propertyValue: 'CLOSED',
      },
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: 99999992,
        propertyName: 'status',
        propertyValue: 'CLOSED',
      },
    ])
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text).handled).toEqual([
      'ignored: not a HITL thread',
      'session stopped',
      'ignored: not a HITL thread',
    ])
    await waitFor('the plugin hands the conversation back', () => w.bot.status(session)?.active === false)
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    await opening
    await settle(w)
    expectNoRedeliveryNeeded(w)
  })

  it('[no-redelivery] an agent reply written before the plugin activated reaches the customer', async () => {
    const w = await world({ plugin: { activationDelayMs: 1_200 } })
    w.hs.settings.autoAssign = { actorId: 'A-111', delayMs: 0 }
    const escalation = w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    // The agent answers the moment the thread appears, long before the plugin activates the session.
    await waitFor('the thread exists', () => w.hs.portal.threads.size > 0)
    const threadId = [...w.hs.portal.threads.keys()][0]!
    await waitFor('the thread is recorded', () =>
      [...w.bp.store.conversations.values()].some((c) => c.tags.hubspotThreadId === threadId)
    )
    w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Hi, Ann here' })
    const session = await escalation
    await waitFor('the customer reads the reply', () =>
      customerView(w, session).some((m) => m.payload.text === 'Hi, Ann here')
    )
    expect(w.bot.dropped(session).messages).toEqual([])
    await settle(w)
    expectNoRedeliveryNeeded(w)
  })

  it('[no-redelivery] duplicates of one event on 3 processes at once: one hitlAssigned, every delivery answered 2xx', async () => {
    const started = await startWorldOnProcesses(3)
    pool = started.pool
    const w = started.w
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    await sleep(800)
    const assignment = {
      subscriptionType: 'conversation.propertyChange',
      objectId: Number(threadId),
      propertyName: 'assignedTo',
      propertyValue: '111',
    }
    const answers = await Promise.all(Array.from({ length: 3 }, () => sendAppWebhook(w, [assignment])))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    await waitFor('the plugin names the agent', () => w.bot.status(session)?.agentUserId !== undefined)
    const reply = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Ann here' })
    const replies = await Promise.all(
      Array.from({ length: 3 }, () => postWebhook(w, reply.body, v3Headers(w, reply.body)))
    )
    expect(replies.map((a) => a.status)).toEqual([200, 200, 200])
    const close = {
      subscriptionType: 'conversation.propertyChange',
      objectId: Number(threadId),
      propertyName: 'status',
      propertyValue: 'CLOSED',
    }
    const closes = await Promise.all(Array.from({ length: 3 }, () => sendAppWebhook(w, [close])))
    expect(closes.map((a) => a.status)).toEqual([200, 200, 200])
    await waitFor('the session ends', () => eventsOf(w, session).length === 2)
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Ann here'])
    await settle(w)
    expectNoRedeliveryNeeded(w)
  })

  it('[no-redelivery] a startHitl that died after recording its thread leaves later events answered 2xx, not refused for good', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    // As a startHitl killed before marking its session ready leaves it.
    const conversation = w.bp.store.conversations.get(session.conversationId)!
    w.bp.store.updateConversation(conversation.id, { tags: { readyAt: '' } })
    const started = Date.now()
    const answer = await sendAppWebhook(w, [
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: Number(threadId),
        propertyName: 'assignedTo',
        propertyValue: '111',
      },
    ])
    expect(answer.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(JSON.parse(answer.text).handled).toEqual(['recorded: applied once the plugin sees the session'])
    expectNoRedeliveryNeeded(w)
  })
})

describe('[no-redelivery] a sibling installation that fails', () => {
  it.each(['answers 500', 'answers too slowly'] as const)(
    '[no-redelivery] a sibling that %s never holds this installation’s own events',
    async (behaviour) => {
      const w = await world()
      const driver = w.connect({ ...w.configuration, refreshToken: w.hs.issueRefreshToken() })
      await driver.register()
      const siblingBot = new HitlBot(w.bp, driver)
      await uploadServedProject(w.hs, w.driver.webhookUrl)
      const jane = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
      const john = await siblingBot.escalate({ customer: { name: 'John Roe', email: 'john.roe@example.com' } })
      await sleep(800)
      // The sibling's webhook fails from now on.
      driver.relayWebhook = async () => {
        if (behaviour === 'answers too slowly') await sleep(8_000)
        return { status: 500, headers: {}, body: '{"error":"down"}' }
      }
      const started = Date.now()
      const answer = await sendAppWebhook(w, [
        {
          subscriptionType: 'conversation.propertyChange',
          objectId: Number(threadOf(w, john)),
          propertyName: 'assignedTo',
          propertyValue: '222',
        },
        {
          subscriptionType: 'conversation.propertyChange',
          objectId: Number(threadOf(w, jane)),
          propertyName: 'assignedTo',
          propertyValue: '111',
        },
      ])
      expect(answer.status).toBe(200)
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(JSON.parse(answer.text).handled[1]).toBe('agent assigned')
      await waitFor('the plugin names Jane’s agent', () => w.bot.status(jane)?.agentUserId !== undefined)
      expectNoRedeliveryNeeded(w)
    }
  )
})
