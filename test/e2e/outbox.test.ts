// [outbox] A customer message HubSpot does not take in time is owed, not lost: it goes out once,
// in order, before the conversation's next message or at the thread's next event; after a longer
// outage the customer is told.
import { describe, expect, it } from 'vitest'
import type { World } from '../../testbed/world'
import { customerView, escalated, setEnv, settle, threadMessages } from './helpers'

const PUBLISH = /\/custom-channels\/2026-03\/\d+\/messages$/
const incomingTexts = (w: World, threadId: string) =>
  threadMessages(w, threadId)
    .filter((m) => m.direction === 'INCOMING')
    .map((m) => m.text)

describe('[outbox] HubSpot failing for longer than the retry budget', () => {
  it('[outbox] messages written during the outage reach the agent once, in order, with the next message', async () => {
    const { w, session, threadId } = await escalated({ env: { HUBSPOT_RETRY_BUDGET_MS: '300' } })
    w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 503, count: 10_000 })
    for (const text of ['first during the outage', 'second during the outage']) {
      await expect(w.bot.customerSays(session, { type: 'text', payload: { text } })).resolves.toBeTruthy()
    }
    expect(incomingTexts(w, threadId).filter((text) => text.includes('outage'))).toEqual([])
    expect(w.bp.store.conversations.get(session.conversationId)?.tags.outboxPending).toBe('true')

    w.hs.faults.clear()
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'after the outage' } })
    expect(incomingTexts(w, threadId).slice(-3)).toEqual([
      'first during the outage',
      'second during the outage',
      'after the outage',
    ])
    expect(w.bp.store.conversations.get(session.conversationId)?.tags.outboxPending).toBe('false')
    // Once each, whatever retried what.
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'one more' } })
    expect(incomingTexts(w, threadId).filter((text) => text.includes('outage'))).toHaveLength(3)
  })

  it('[outbox] what is owed goes out when the agent takes the thread', async () => {
    const { w, session, threadId } = await escalated({ env: { HUBSPOT_RETRY_BUDGET_MS: '300' } })
    w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 503, count: 10_000 })
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'held back' } })
    w.hs.faults.clear()
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    expect(incomingTexts(w, threadId).at(-1)).toBe('held back')
  })

  it('[outbox] a longer outage: the customer is told the message did not reach the agent', async () => {
    const { w, session, threadId } = await escalated({ env: { HUBSPOT_RETRY_BUDGET_MS: '300' } })
    setEnv({ HITL_OUTBOX_GIVE_UP_MS: '400' })
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 503, count: 10_000 })
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'lost in the outage' } })
    await new Promise((resolve) => setTimeout(resolve, 500))
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'still down' } })
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual([
      'One of your messages could not reach the agent: HubSpot was unavailable. Please send it again.',
    ])
    w.hs.faults.clear()
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'back again' } })
    expect(incomingTexts(w, threadId).slice(-2)).toEqual(['still down', 'back again'])
  })
})
