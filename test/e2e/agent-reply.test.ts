// Agent replies: they reach the customer as the agent, once and in order, with files; HubSpot shows
// SENT or FAILED with the reason; replies after the session ended are refused and explained.
import { describe, expect, it } from 'vitest'
import type { World } from '../../testbed/world'
import {
  customerView,
  eventsOf,
  reportedStatus,
  shownStatus,
  settle,
  threadMessages,
  threadOf,
  world,
  escalated,
  postWebhook,
  v3Headers,
  withheldAgentReply,
  sleep,
  jane,
} from './helpers'

describe('[status] honest delivery status in HubSpot', () => {
  it('an agent message is SENT once the customer has it', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
    const reply = w.hs.agent.reply(threadOf(w, session), { actorId: 'A-111', text: 'hello' })
    await settle(w)
    expect(customerView(w, session)).toHaveLength(1)
    expect(shownStatus(w, reply.id)).toBe('SENT')
  })

  it.each([
    { hubspotShows: 'SENT' as const, reported: undefined, hubspotCalls: ['GET'] },
    { hubspotShows: null, reported: 'SENT', hubspotCalls: ['GET', 'PATCH'] },
  ])(
    'a reply HubSpot shows as $hubspotShows is reported $reported: HubSpot calls $hubspotCalls',
    async ({ hubspotShows, reported, hubspotCalls }) => {
      const w = await world()
      const session = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
      w.hs.settings.agentReplyStatus = hubspotShows
      // The agent's profile is read once, when they are assigned; the reply is the common case.
      w.hs.agent.assign(threadOf(w, session), 'A-111')
      await settle(w)
      w.hs.resetCalls()
      const reply = w.hs.agent.reply(threadOf(w, session), { actorId: 'A-111', text: 'hello' })
      await settle(w)
      expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['hello'])
      expect(reportedStatus(w, reply.id)?.statusType).toBe(reported)
      expect(shownStatus(w, reply.id)).toBe('SENT')
      // The timeline read (ordering, a close before the reply) and, where HubSpot shows nothing, the report.
      expect(
        w.hs.calls.filter((call) => call.auth === 'bearer').map((call) => call.method),
        JSON.stringify(w.hs.calls.map((c) => c.path))
      ).toEqual(hubspotCalls)
    }
  )
})

describe('[after-close] the agent is never left talking to nobody', () => {
  it('a reply after the customer left is marked FAILED with the reason, and not delivered', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
    const threadId = threadOf(w, session)
    await w.bot.end(session)
    await settle(w)
    w.hs.agent.reopen(threadId)
    await settle(w)
    const reply = w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Are you still there?' })
    await settle(w)
    const status = w.hs.portal.messageById.get(reply.id)?.status
    expect(status?.statusType).toBe('FAILED')
    expect(status?.failureDetails?.errorMessage).toBe('Not delivered: the customer’s chat session has ended.')
    expect(customerView(w, session)).toEqual([])
  })

  it('reopening a thread whose session ended tells the agent in the thread', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
    const threadId = threadOf(w, session)
    w.hs.agent.close(threadId)
    await settle(w)
    w.hs.agent.reopen(threadId)
    await settle(w)
    expect(threadMessages(w, threadId).at(-1)?.text).toBe(
      'This conversation has ended on the chatbot side: replies here no longer reach the customer.'
    )
  })
})

describe('the agent', () => {
  it('replies with text and a file reach the customer as the agent, and HubSpot shows them SENT', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    const threadId = threadOf(w, session)
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    const text = w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Hi Jane, I am Ann' })
    await settle(w)
    const file = w.hs.agent.reply(threadId, {
      actorId: 'A-111',
      text: 'Here is your label',
      files: [{ name: 'label.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 label') }],
    })
    await settle(w)

    const view = customerView(w, session)
    const agentUserId = eventsOf(w, session)[0]!.payload.userId
    expect(view.map((m) => m.type)).toEqual(['text', 'text', 'file'])
    expect(view.every((m) => m.userId === agentUserId)).toBe(true)
    expect(view[0]!.payload).toEqual({ text: 'Hi Jane, I am Ann' })
    const fileUrl = String(view[2]!.payload.fileUrl)
    const download = await fetch(fileUrl)
    expect(await download.text()).toBe('%PDF-1.4 label')
    expect(shownStatus(w, text.id)).toBe('SENT')
    expect(shownStatus(w, file.id)).toBe('SENT')
  })

  it("each file reaches the customer under the agent's file name, an image too", async () => {
    const { w, session, threadId } = await escalated()
    const files = [
      { name: 'damage report.png', contentType: 'image/png', data: Buffer.from('png bytes') },
      { name: 'label.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 label') },
    ]
    for (const file of files) {
      w.hs.agent.reply(threadId, { actorId: 'A-111', files: [file] })
      await settle(w)
    }
    const view = customerView(w, session)
    expect(view.map((m) => [m.type, m.payload.title])).toEqual([
      ['image', 'damage report.png'],
      ['file', 'label.pdf'],
    ])
    // The hosted file's URL ends with the name itself, no index or prefix glued to it.
    expect(decodeURIComponent(String(view[0]!.payload.imageUrl)).split('/').pop()).toBe('damage report.png')
    expect(await (await fetch(String(view[0]!.payload.imageUrl))).text()).toBe('png bytes')
  })

  it('a file Botpress refuses to host reaches the customer as a signed HubSpot link', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    w.bp.faults.inject({ method: 'PUT', path: '/v1/files', status: 400, count: 1 })
    const reply = w.hs.agent.reply(threadOf(w, session), {
      actorId: 'A-111',
      files: [{ name: 'label.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 signed') }],
    })
    await settle(w)
    const [file] = customerView(w, session)
    expect(file?.type).toBe('file')
    expect(await (await fetch(String(file?.payload.fileUrl))).text()).toBe('%PDF-1.4 signed')
    expect(shownStatus(w, reply.id)).toBe('SENT')
  })
})

describe('[dedupe] duplicate and out-of-order webhooks', () => {
  const sendInOrder = async (w: World, threadId: string, texts: string[], gapMs: number) => {
    const ids: string[] = []
    for (const text of texts) {
      ids.push(w.hs.agent.reply(threadId, { actorId: 'A-111', text }).id)
      if (gapMs > 0) await sleep(gapMs)
    }
    return ids
  }
  const firstDeliveryOrder = (w: World) =>
    w.hs.deliveries
      .filter((d) => d.kind === 'channel' && d.attempt === 0 && !d.duplicate)
      .map((d) => (JSON.parse(d.body) as { message: { id: string } }).message.id)

  it('[dedupe] an agent message delivered twice by HubSpot creates one Botpress message', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetDeliveries()
    w.hs.faults.webhooks({ duplicateNext: 1 })
    const reply = w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Only once, please' })
    await settle(w)
    const channelDeliveries = w.hs.deliveries.filter((d) => d.kind === 'channel')
    expect(channelDeliveries.map((d) => [d.duplicate, d.status])).toEqual([
      [false, 200],
      [true, 200],
    ])
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Only once, please'])
    expect(shownStatus(w, reply.id)).toBe('SENT')
  })

  it('[dedupe] the same agent message delivered five times concurrently creates one Botpress message', async () => {
    const { w, session, threadId } = await escalated()
    const { message, body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Concurrent copies' })
    const answers = await Promise.all(Array.from({ length: 5 }, () => postWebhook(w, body, v3Headers(w, body))))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200])
    const view = customerView(w, session)
    expect(view.map((m) => m.payload.text)).toEqual(['Concurrent copies'])
    expect([...w.bp.store.messages.values()].filter((m) => m.tags.hubspotMessageId === message.id)).toHaveLength(1)
    expect(shownStatus(w, message.id)).toBe('SENT')
  })

  it('[dedupe] agent messages delivered out of order reach the customer in the order the agent sent them', async () => {
    const { w, session, threadId } = await escalated()
    const texts = ['one', 'two', 'three', 'four', 'five', 'six']
    w.hs.resetDeliveries()
    // Each reply makes a channel webhook and an app newMessage webhook: hold all of them.
    w.hs.faults.webhooks({ reorderNext: texts.length * 2 })
    const ids = await sendInOrder(w, threadId, texts, 3)
    await settle(w)
    expect(firstDeliveryOrder(w)).not.toEqual(ids)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(texts)
    expect(ids.map((id) => shownStatus(w, id))).toEqual(texts.map(() => 'SENT'))
  })

  it('[dedupe] the agent’s last reply, whose channel webhook arrives after the close webhook, reaches the customer before the hand-back, or HubSpot shows it FAILED', async () => {
    const { w, session, threadId } = await escalated()
    // Channel webhooks and app webhooks travel separately: here the close overtakes the reply.
    const { message, body } = withheldAgentReply(w, threadId, {
      actorId: 'A-111',
      text: 'Goodbye, and thanks for waiting',
    })
    await sleep(5)
    w.hs.agent.close(threadId)
    await settle(w)
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlStopped'])
    expect((await postWebhook(w, body, v3Headers(w, body))).status).toBe(200)
    const reachedCustomer = w.bot
      .upstreamMessages(session)
      .some((m) => m.payload.text === 'Goodbye, and thanks for waiting')
    const status = shownStatus(w, message.id)
    expect({ reachedCustomer, status }).toSatisfy(
      (outcome: { reachedCustomer: boolean; status: string | undefined }) =>
        (outcome.reachedCustomer && outcome.status === 'SENT') ||
        (!outcome.reachedCustomer && outcome.status === 'FAILED')
    )
  })

  it('[dedupe] agent messages sent within the same millisecond and delivered out of order still reach the customer in the order sent', async () => {
    const { w, session, threadId } = await escalated()
    const texts = ['first', 'second', 'third', 'fourth']
    w.hs.resetDeliveries()
    w.hs.faults.webhooks({ reorderNext: texts.length * 2 })
    const ids = await sendInOrder(w, threadId, texts, 0)
    await settle(w)
    expect(firstDeliveryOrder(w)).not.toEqual(ids)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(texts)
  })
})

describe('[real-world] agent messages as HubSpot sends them', () => {
  it('[real-world] replies that already show SENT and arrive out of order still reach the customer once each, in the order written', async () => {
    const { w, session, threadId } = await escalated()
    expect(w.hs.settings.agentReplyStatus).toBe('SENT')
    w.hs.faults.webhooks({ reorderNext: 4 })
    for (const text of ['one', 'two', 'three', 'four']) w.hs.agent.reply(threadId, { actorId: 'A-111', text })
    await settle(w)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['one', 'two', 'three', 'four'])
  })

  it('[real-world] a reply written just before the close, already showing SENT, whose webhook comes after the close, reaches the customer before the hand-back', async () => {
    const { w, session, threadId } = await escalated()
    const withheld = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Last words' })
    w.hs.agent.close(threadId)
    await settle(w)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Last words'])
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlStopped'])
    await postWebhook(w, withheld.body, v3Headers(w, withheld.body))
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Last words'])
  })

  it('[real-world] a hidden file of the file manager is delivered with files.ui_hidden.read, and reported FAILED with the fix without it', async () => {
    const { w, session, threadId } = await escalated()
    const shown = w.hs.agent.reply(threadId, {
      actorId: 'A-111',
      text: 'Your label',
      files: [{ name: 'label.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF label'), hidden: true }],
    })
    await settle(w)
    expect(customerView(w, session).map((m) => m.type)).toEqual(['text', 'file'])
    expect(shownStatus(w, shown.id)).toBe('SENT')

    const limited = await escalated({
      hubspot: {
        seed: {
          scopes: [
            'conversations.custom_channels.read',
            'conversations.custom_channels.write',
            'conversations.read',
            'conversations.write',
            'crm.objects.contacts.read',
            'crm.objects.contacts.write',
            'files',
          ],
        },
      },
    })
    const hidden = limited.w.hs.agent.reply(limited.threadId, {
      actorId: 'A-111',
      text: 'Another label',
      files: [{ name: 'label.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF'), hidden: true }],
    })
    await settle(limited.w)
    expect(customerView(limited.w, limited.session).map((m) => m.type)).toEqual(['text'])
    const failed = reportedStatus(limited.w, hidden.id)
    expect(failed?.statusType).toBe('FAILED')
    expect(failed?.failureDetails?.errorMessage).toContain('files.ui_hidden.read')
  })

  it('[real-world] a reply whose optional fields are null is delivered, not answered 400', async () => {
    const { w, session, threadId } = await escalated()
    const { body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Null fields' }, (reply) => {
      const message = reply as unknown as Record<string, unknown>
      Object.assign(message, {
        richText: null,
        subject: null,
        inReplyToId: null,
        client: null,
        status: null,
        truncationStatus: null,
        archived: null,
      })
      message.senders = [{ actorId: 'A-111', name: null, deliveryIdentifier: null }]
      message.recipients = [{ actorId: null, name: null, deliveryIdentifier: { type: null, value: null } }]
    })
    const withNulls = JSON.stringify({
      ...JSON.parse(body),
      eventId: null,
      eventTimestamp: null,
      channelAccountId: null,
    })
    const answer = await postWebhook(w, withNulls, v3Headers(w, withNulls))
    expect(answer.status).toBe(200)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Null fields'])
  })
})
