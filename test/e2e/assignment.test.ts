// Assignment: the agent who takes the thread becomes a Botpress user and hitlAssigned names them,
// reassignments, duplicates and late deliveries, and agents assigned while the escalation starts.
import { describe, expect, it } from 'vitest'
import { PLUGIN_MESSAGES } from '../../testbed/botpress/hitl-bot'
import type { World } from '../../testbed/world'
import {
  customerView,
  eventsOf,
  shownStatus,
  sendAppWebhook,
  settle,
  threadMessages,
  threadOf,
  world,
  escalated,
  postWebhook,
  v3Headers,
  sleep,
  jane,
  v1Headers,
} from './helpers'

const history = (lines: number) =>
  Array.from({ length: lines }, (_, i) => ({
    from: i % 2 ? ('bot' as const) : ('customer' as const),
    type: 'text',
    payload: { text: `line ${i}` },
  }))

// The hitl plugin as it runs in Botpress: activation after startHitl returns, an assignment timeout.
const PLUGIN = { activationDelayMs: 400, agentAssignedTimeoutSeconds: 3 }

// The integration's production grace for the plugin's activation.
const PRODUCTION_GRACE = { HITL_PLUGIN_ACTIVATION_GRACE_MS: '1500' }

const upstreamTexts = (w: World, session: Parameters<World['bot']['upstreamMessages']>[0]) =>
  w.bot.upstreamMessages(session).map((m) => String(m.payload.text ?? m.type))

describe('[agent-identity] each agent is one Botpress user with the name and avatar from HubSpot', () => {
  it('keeps the agent profile fresh when it changes in HubSpot', async () => {
    const w = await world()
    const first = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
    w.hs.agent.assign(threadOf(w, first), 'A-111')
    await settle(w)
    const agentUserId = String(eventsOf(w, first)[0]!.payload.userId)
    w.hs.portal.agents.get('A-111')!.name = 'Ann Smith'
    const second = await w.bot.escalate({ customer: { name: 'B', email: 'b@example.com' } })
    w.hs.agent.assign(threadOf(w, second), 'A-111')
    await settle(w)
    expect(eventsOf(w, second)[0]!.payload.userId).toBe(agentUserId)
    expect(w.bp.store.users.get(agentUserId)?.name).toBe('Ann Smith')
  })

  it('a reply from an agent who was never assigned arrives as that agent', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
    w.hs.agent.reply(threadOf(w, session), { actorId: 'A-222', text: 'Bob here' })
    await settle(w)
    const [reply] = customerView(w, session)
    expect(w.bp.store.users.get(reply!.userId)?.name).toBe('Bob Agent')
  })
})

describe('[reassign] a reassignment emits a new hitlAssigned', () => {
  it('with the new agent, and ignores an older assignment delivered late', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
    const threadId = threadOf(w, session)
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    w.hs.agent.assign(threadId, 'A-222')
    await settle(w)
    const late = await sendAppWebhook(w, [
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: Number(threadId),
        propertyName: 'assignedTo',
        propertyValue: '111',
        occurredAt: Date.now() - 60_000,
      },
    ])
    expect(late.status).toBe(200)
    const assigned = eventsOf(w, session).map((e) => w.bp.store.users.get(String(e.payload.userId))?.name)
    expect(assigned).toEqual(['Ann Agent', 'Bob Agent'])
  })
})

describe('the agent', () => {
  it('[agent-identity] assignment emits hitlAssigned with the agent as a Botpress user named and pictured as in HubSpot', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    w.hs.agent.assign(threadOf(w, session), 'A-111')
    await settle(w)
    const [assigned] = eventsOf(w, session)
    expect(assigned?.type).toBe('hitlAssigned')
    const agent = w.bp.store.users.get(String(assigned?.payload.userId))
    expect(agent).toMatchObject({ name: 'Ann Agent' })
    expect(agent?.pictureUrl).toMatch(/^http/)
    expect(assigned?.payload.userId).not.toBe(session.userId)
  })
})

describe('[dedupe] duplicate and out-of-order webhooks', () => {
  it('[dedupe] duplicate assignment and close app webhooks, redelivered and re-posted concurrently, create one hitlAssigned and one hitlStopped', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetDeliveries()
    w.hs.faults.webhooks({ duplicateNext: 1 })
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    const assignment = w.hs.deliveries.find((d) => d.kind === 'app' && d.body.includes('"assignedTo"'))!
    expect(w.hs.deliveries.filter((d) => d.body.includes('"assignedTo"')).map((d) => [d.duplicate, d.status])).toEqual([
      [false, 200],
      [true, 200],
    ])
    // HubSpot may also deliver the same batch from several workers at once.
    const again = await Promise.all(
      Array.from({ length: 4 }, () =>
        postWebhook(w, assignment.body, { ...v3Headers(w, assignment.body), ...v1Headers(w, assignment.body) })
      )
    )
    expect(again.map((a) => a.status)).toEqual([200, 200, 200, 200])

    w.hs.faults.webhooks({ duplicateNext: 1 })
    w.hs.agent.close(threadId)
    await settle(w)
    const close = w.hs.deliveries.find((d) => d.kind === 'app' && d.body.includes('"CLOSED"'))!
    const closeAgain = await Promise.all(
      Array.from({ length: 4 }, () => postWebhook(w, close.body, v3Headers(w, close.body)))
    )
    expect(closeAgain.map((a) => a.status)).toEqual([200, 200, 200, 200])

    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    expect(w.bot.isActive(session)).toBe(false)
  })

  it('[dedupe] reassignments delivered out of order leave the customer with the agent assigned last', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.faults.webhooks({ reorderNext: 2 })
    w.hs.agent.assign(threadId, 'A-111')
    await sleep(5)
    w.hs.agent.assign(threadId, 'A-222')
    await settle(w)
    const agentUserId = w.bot.status(session)?.agentUserId
    expect(w.bp.store.users.get(String(agentUserId))?.name).toBe('Bob Agent')
  })
})

describe('[real-world] an agent assigned while the escalation is still starting', () => {
  it.each([0, 1500])(
    '[real-world] HubSpot routing assigns the new thread %i ms after its first message: the customer sees the agent join, the assignment timeout does not end the session',
    async (delayMs) => {
      const w = await world({ plugin: PLUGIN, env: PRODUCTION_GRACE })
      w.hs.settings.autoAssign = { actorId: 'A-111', delayMs }
      const session = await w.bot.escalate({
        customer: { name: 'Jane Doe', email: 'jane.doe@example.com' },
        history: history(20),
      })
      const threadId = threadOf(w, session)
      // The thread opens with the customer's message.
      expect(threadMessages(w, threadId)[0]).toMatchObject({
        direction: 'INCOMING',
        senders: [expect.objectContaining({ name: 'Jane Doe' })],
      })

      await sleep(delayMs + 2000)
      await settle(w)
      expect(w.bot.dropped(session).events).toEqual([])
      expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned'])
      expect(w.bot.status(session)).toMatchObject({ active: true, agentName: 'Ann Agent' })
      expect(upstreamTexts(w, session)).toContain(PLUGIN_MESSAGES.agentAssigned)

      await sleep(PLUGIN.agentAssignedTimeoutSeconds * 1000 - 1000)
      expect(w.bot.status(session)).toMatchObject({ active: true })
      w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Hi Jane, Ann here' })
      await settle(w)
      expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Hi Jane, Ann here'])
    }
  )

  it('[real-world] an agent who replies the moment the thread appears reaches the customer once the plugin is live, and no reply is marked SENT while it was dropped', async () => {
    const w = await world({ plugin: PLUGIN, env: PRODUCTION_GRACE })
    const escalation = w.bot.escalate({
      customer: { name: 'Jane Doe', email: 'jane.doe@example.com' },
      history: history(12),
    })
    let threadId: string | undefined
    while (!threadId) {
      await sleep(2)
      threadId = [...w.hs.portal.threads.keys()][0]
    }
    const early = w.hs.agent.reply(threadId, { actorId: 'A-222', text: 'Hello, Bob here already' })
    const session = await escalation
    await settle(w)
    expect(w.bot.dropped(session).messages).toEqual([])
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Hello, Bob here already'])
    expect(shownStatus(w, early.id)).toBe('SENT')
    // The plugin took the first agent to write as the assigned agent.
    expect(w.bot.status(session)).toMatchObject({ active: true, agentName: 'Bob Agent' })
  })
})
