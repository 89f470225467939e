// Close and hand-back: the agent closing, deleting or archiving the thread ends the session once;
// the bot ending it closes the thread; the plugin's assignment timeout.
import { describe, expect, it } from 'vitest'
import { eventsOf, sendAppWebhook, settle, threadMessages, threadOf, world, escalated, sleep, jane } from './helpers'

describe('the agent', () => {
  it('closing the thread emits hitlStopped once', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    w.hs.agent.close(threadOf(w, session))
    await settle(w)
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlStopped'])
    expect(w.bot.isActive(session)).toBe(false)
  })
})

describe('hand-back', () => {
  it('the bot ending the session closes the HubSpot thread, without a hitlStopped echo', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    await w.bot.end(session)
    await settle(w)
    expect(w.hs.portal.threads.get(threadOf(w, session))?.status).toBe('CLOSED')
    expect(eventsOf(w, session)).toEqual([])
    const texts = threadMessages(w, threadOf(w, session)).map((m) => m.text)
    expect(texts.at(-1)).toBe('Notice from the bot: ( The user has ended the session. )')
  })

  it('stopping twice is harmless', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    await w.driver.callAction('stopHitl', { conversationId: session.conversationId })
    await expect(w.driver.callAction('stopHitl', { conversationId: session.conversationId })).resolves.toEqual({})
  })
})

describe('[real-world] an agent assigned while the escalation is still starting', () => {
  it('[real-world] without assignment the plugin ends the session at its timeout, and the integration closes the thread', async () => {
    const w = await world({ plugin: { activationDelayMs: 250, agentAssignedTimeoutSeconds: 1 } })
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    await sleep(1500)
    expect(w.bot.status(session)).toMatchObject({ active: false, endReason: 'assignment-timeout' })
    expect(w.hs.portal.threads.get(threadOf(w, session))?.status).toBe('CLOSED')
  })
})

describe('[real-world] app webhook batches and thread lifecycle', () => {
  it('[real-world] a deleted thread ends the session once, however often HubSpot says so', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.faults.webhooks({ duplicateNext: 2 })
    w.hs.agent.delete(threadId)
    await settle(w)
    await sendAppWebhook(w, [
      { subscriptionType: 'conversation.deletion', objectId: Number(threadId), changeFlag: 'DELETED' },
    ])
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlStopped'])
    expect(w.bot.status(session)).toMatchObject({ active: false, endReason: 'agent-closed-ticket' })
  })

  it('[real-world] an archived thread (status ARCHIVED) ends the session once', async () => {
    const { w, session, threadId } = await escalated()
    const archived = {
      subscriptionType: 'conversation.propertyChange',
      objectId: Number(threadId),
      propertyName: 'status',
      propertyValue: 'ARCHIVED',
    }
    await sendAppWebhook(w, [archived])
    await sendAppWebhook(w, [archived])
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlStopped'])
  })
})
