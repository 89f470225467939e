// The whole life of an escalation over real HTTP: install, escalate, talk both ways, hand back.
import { describe, expect, it } from 'vitest'
import {
  customerView,
  eventsOf,
  failureOf,
  hostFile,
  shownStatus,
  sendAppWebhook,
  settle,
  threadMessages,
  threadOf,
  world,
} from './helpers'

const jane = { name: 'Jane Doe', email: 'jane@example.com' }

describe('install and uninstall', () => {
  it('register creates one custom channel and one channel account per inbox, and saving again creates nothing', async () => {
    const w = await world()
    const channels = () => [...w.hs.portal.channels.values()].filter((c) => !c.archived)
    const accounts = () => [...w.hs.portal.channelAccounts.values()].filter((a) => !a.archived)
    expect(channels()).toHaveLength(1)
    expect(channels()[0]!.webhookUrl).toBe(w.driver.webhookUrl)
    expect(
      accounts()
        .map((a) => a.inboxId)
        .sort()
    ).toEqual(['1001', '1002'])

    w.hs.resetCalls()
    await w.driver.register()
    await w.driver.register()
    expect(channels()).toHaveLength(1)
    expect(accounts()).toHaveLength(2)
    // Token introspection is a POST that reads; nothing else but reads may happen.
    expect(
      w.hs.calls.filter((c) => c.method !== 'GET' && !c.path.endsWith('/token/introspect') && c.status < 300)
    ).toEqual([])
  })

  it('unregister archives the channel it created', async () => {
    const w = await world()
    const [channel] = [...w.hs.portal.channels.values()]
    await w.driver.unregister()
    expect(w.hs.portal.channels.get(channel!.id)?.archived ?? true).toBe(true)
  })
})

describe('escalation', () => {
  it('[transcript] opens a HubSpot thread with the handover note and the conversation so far, and a Botpress conversation on channel hitl', async () => {
    const w = await world()
    const session = await w.bot.escalate({
      customer: jane,
      title: 'Refund for order 42',
      description: 'Parcel arrived damaged',
      history: [
        { from: 'customer', type: 'text', payload: { text: 'Hello' } },
        { from: 'bot', type: 'text', payload: { text: 'Hi!' } },
        { from: 'bot', type: 'text', payload: { text: 'How can I help?' } },
        { from: 'customer', type: 'text', payload: { text: 'I want a refund' } },
      ],
    })
    const conversation = w.bp.store.conversations.get(session.conversationId)
    expect(conversation?.channel).toBe('hitl')
    const messages = threadMessages(w, threadOf(w, session))
    expect(messages.map((m) => [m.direction, m.text])).toEqual([
      [
        'INCOMING',
        'Request to talk to a person, sent by the chatbot on behalf of this customer.\nTopic: Refund for order 42\nDetails: Parcel arrived damaged\nThe conversation with the bot so far (4 messages), each line with who wrote it:\n\n' +
          'Jane Doe: Hello\nBot: Hi!\nBot: How can I help?\nJane Doe: I want a refund\n\nEnd of the conversation with the bot. Your replies now reach the customer.',
      ],
    ])
    expect(messages[0]!.senders[0]!.name).toBe('Jane Doe')
    const thread = w.hs.portal.threads.get(threadOf(w, session))!
    expect(thread.inboxId).toBe('1001')
    expect(thread.customer.kind).toBe('contact')
  })

  it('fails loudly, with no placeholder conversation, when HubSpot refuses the thread', async () => {
    const w = await world()
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 400, count: 1 })
    expect(await failureOf(w.bot.escalate({ customer: jane }))).toMatch(
      /^HubSpot refused a request\. While publishing the conversation to HubSpot, HubSpot answered 400/
    )
    expect([...w.bp.store.conversations.values()].filter((c) => c.channel === 'hitl')).toEqual([])
  })
})

describe('customer messages reach the thread', () => {
  it.each([
    ['text', { text: 'Where is my parcel?' }, { text: 'Where is my parcel?', files: 0, usage: undefined }],
    ['image', { imageUrl: 'FILE/photo.png' }, { text: '', files: 1, usage: 'IMAGE' }],
    ['audio', { audioUrl: 'FILE/voice.ogg' }, { text: '', files: 1, usage: 'AUDIO' }],
    ['video', { videoUrl: 'FILE/clip.mp4' }, { text: '', files: 1, usage: 'OTHER' }],
    ['file', { fileUrl: 'FILE/invoice.pdf', title: 'invoice.pdf' }, { text: 'invoice.pdf', files: 1, usage: 'OTHER' }],
    [
      'bloc',
      {
        items: [
          { type: 'text', payload: { text: 'My receipt:' } },
          { type: 'image', payload: { imageUrl: 'FILE/receipt.jpg' } },
        ],
      },
      { text: 'My receipt:', files: 1, usage: 'IMAGE' },
    ],
  ])('%s', async (type, payload, expected) => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    // Files live on the Botpress stand-in, as Botpress hosts the files customers send.
    let json = JSON.stringify(payload)
    for (const name of json.match(/FILE\/[\w.]+/g) ?? []) {
      json = json.replace(name, await hostFile(w, name.slice(5), `bytes of ${name}`, 'application/octet-stream'))
    }
    const hosted = JSON.parse(json) as Record<string, unknown>
    const message = await w.bot.customerSays(session, { type, payload: hosted as never })
    const published = threadMessages(w, threadOf(w, session)).at(-1)!
    expect(published.direction).toBe('INCOMING')
    expect(published.text).toBe(expected.text)
    expect(published.attachments).toHaveLength(expected.files)
    if (expected.usage) expect(published.attachments[0]).toMatchObject({ type: 'FILE', fileUsageType: expected.usage })
    expect(published.senders[0]!.name).toBe('Jane Doe')
    expect(w.bp.store.messages.get(message.id)?.tags.hubspotMessageId).toBe(published.id)
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

describe('isolation', () => {
  it('[concurrent] two customers escalated at once stay apart', async () => {
    const w = await world()
    const [a, b] = await Promise.all([
      w.bot.escalate({ customer: { name: 'Alice', email: 'alice@example.com' } }),
      w.bot.escalate({ customer: { name: 'Bob', email: 'bob@example.com' } }),
    ])
    await Promise.all([
      w.bot.customerSays(a, { type: 'text', payload: { text: 'from Alice' } }),
      w.bot.customerSays(b, { type: 'text', payload: { text: 'from Bob' } }),
    ])
    const [threadA, threadB] = [threadOf(w, a), threadOf(w, b)]
    expect(threadA).not.toBe(threadB)
    w.hs.agent.reply(threadA, { actorId: 'A-111', text: 'to Alice' })
    w.hs.agent.reply(threadB, { actorId: 'A-222', text: 'to Bob' })
    await settle(w)
    expect(threadMessages(w, threadA).at(-2)?.text).toBe('from Alice')
    expect(threadMessages(w, threadB).at(-2)?.text).toBe('from Bob')
    expect(customerView(w, a).map((m) => m.payload.text)).toEqual(['to Alice'])
    expect(customerView(w, b).map((m) => m.payload.text)).toEqual(['to Bob'])
  })

  it('webhooks about other threads of the portal, or from another portal, change nothing', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    const before = {
      events: w.bp.store.events.size,
      conversations: w.bp.store.conversations.size,
      users: w.bp.store.users.size,
    }
    const response = await sendAppWebhook(w, [
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: 999999,
        propertyName: 'status',
        propertyValue: 'CLOSED',
      },
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: 999999,
        propertyName: 'assignedTo',
        propertyValue: '111',
      },
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: Number(threadOf(w, session)),
        portalId: 1234,
        propertyName: 'status',
        propertyValue: 'CLOSED',
      },
    ])
    expect(response.status).toBe(200)
    expect({
      events: w.bp.store.events.size,
      conversations: w.bp.store.conversations.size,
      users: w.bp.store.users.size,
    }).toEqual(before)
    expect(w.bot.isActive(session)).toBe(true)
  })

  it('[signature] a webhook with a bad signature is refused with 401 and changes nothing', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    const body = JSON.stringify([
      {
        eventId: 1,
        portalId: Number(w.hs.portalId),
        occurredAt: Date.now(),
        subscriptionType: 'conversation.propertyChange',
        objectId: Number(threadOf(w, session)),
        propertyName: 'status',
        propertyValue: 'CLOSED',
      },
    ])
    const response = await fetch(w.driver.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': 'bm90IGEgc2lnbmF0dXJl',
        'x-hubspot-request-timestamp': String(Date.now()),
      },
      body,
    })
    expect(response.status).toBe(401)
    expect(eventsOf(w, session)).toEqual([])
  })
})
