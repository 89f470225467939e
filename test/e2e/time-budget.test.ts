// [time-budget] Every action and webhook shares one deadline among its retries, downloads and
// flushes. Work that would run past it stops in time and is left owed, never half done, and is
// completed later exactly once.
import { describe, expect, it } from 'vitest'
import { customerView, escalated, settle, threadMessages } from './helpers'

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')

describe('[time-budget] one deadline per invocation', () => {
  it('[time-budget] a customer message whose file upload would outlast the action stops in time, is owed, then sent once', async () => {
    const { w, session, threadId } = await escalated({ env: { HITL_ACTION_BUDGET_MS: '2500' } })
    const { hostFile } = await import('./helpers')
    const imageUrl = await hostFile(w, 'parcel.png', PNG, 'image/png')
    // HubSpot's file manager answers after 6 s: longer than the whole action may take.
    w.hs.faults.latency(6_000, { method: 'POST', path: /files/ })
    const started = Date.now()
    await w.bot.customerSays(session, { type: 'image', payload: { imageUrl } })
    expect(Date.now() - started).toBeLessThan(3_500)
    expect(threadMessages(w, threadId).filter((m) => m.attachments.length > 0)).toHaveLength(0)
    expect(w.bp.store.conversations.get(session.conversationId)?.tags.outboxPending).toBe('true')

    w.hs.faults.latency(0)
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'Did the photo arrive?' } })
    const incoming = threadMessages(w, threadId).filter((m) => m.direction === 'INCOMING')
    expect(incoming.filter((m) => m.attachments.length > 0)).toHaveLength(1)
    expect(incoming.at(-1)?.text).toBe('Did the photo arrive?')
    expect(
      threadMessages(w, threadId).filter((m) => m.client?.clientType === 'INTEGRATION' && m.attachments.length > 0)
    ).toHaveLength(1)
  })

  it('[time-budget] an agent file whose download would outlast HubSpot’s 5 s is answered in time, and the redelivery delivers it once', async () => {
    // The one case that needs HubSpot to deliver again: the invocation is out of time.
    const { w, session, threadId } = await escalated({ hubspot: { webhookRetryDelaysMs: [1_500] } })
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    w.hs.resetDeliveries()
    w.hs.faults.latency(6_000, { method: 'GET', path: /hubfs/ })
    setTimeout(() => w.hs.faults.latency(0), 4_500)
    w.hs.agent.reply(threadId, {
      actorId: 'A-111',
      text: 'The label',
      files: [{ name: 'label.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4') }],
    })
    await settle(w)
    const deliveries = w.hs.deliveries.filter((d) => d.kind === 'channel')
    expect(deliveries[0]!.durationMs).toBeLessThan(5_000)
    // Botpress's gateway passes the integration's 503 on as a 500; its body says why.
    expect(deliveries[0]!.status).toBeGreaterThanOrEqual(500)
    expect(deliveries[0]!.answer).toMatch(/failed: (out of time|unreachable)/)
    expect(deliveries.at(-1)!.status).toBe(200)
    expect(customerView(w, session).map((m) => m.type)).toEqual(['text', 'file'])
  })
})
