// Escalation: the thread HubSpot opens, the conversation so far in it, the customer as a contact,
// the inbox it goes to and the language it is written in; sessions never mix.
import { describe, expect, it } from 'vitest'
import { customerView, failureOf, hostFile, settle, threadMessages, threadOf, world, jane } from './helpers'

const contactsOf = (w: Awaited<ReturnType<typeof world>>) => [...w.hs.portal.contacts.values()]

describe('[transcript] the agent sees the conversation so far', () => {
  it('in order, customer and bot told apart, with media attached', async () => {
    const w = await world()
    const photo = await hostFile(w, 'damaged.jpg', 'jpeg bytes', 'image/jpeg')
    const session = await w.bot.escalate({
      customer: { name: 'Jane Doe', email: 'jane.doe@example.com' },
      history: [
        { from: 'customer', type: 'text', payload: { text: 'My parcel is damaged' } },
        { from: 'bot', type: 'text', payload: { text: 'Sorry to hear that. Can you send a photo?' } },
        { from: 'customer', type: 'image', payload: { imageUrl: photo } },
        {
          from: 'bot',
          type: 'choice',
          payload: {
            text: 'Refund or replacement?',
            options: [
              { label: 'Refund', value: 'r' },
              { label: 'Replacement', value: 'p' },
            ],
          },
        },
      ],
    })
    // One labelled block, in order; the photo closes the first message (one file per message).
    const photoName = decodeURIComponent(photo).split('/').pop()
    const messages = threadMessages(w, threadOf(w, session))
    expect(messages.map((m) => `${m.direction}:${m.senders[0]?.name}:${m.text}:${m.attachments.length}`)).toEqual([
      'INCOMING:Jane Doe:Request to talk to a person, sent by the chatbot on behalf of this customer.\nThe conversation with the bot so far (4 messages), each line with who wrote it:\n\n' +
        `Jane Doe: My parcel is damaged\nBot: Sorry to hear that. Can you send a photo?\nJane Doe: (file attached: ${photoName}):1`,
      'INCOMING:Jane Doe:Bot: Refund or replacement?\nOptions offered: Refund | Replacement\n\nEnd of the conversation with the bot. Your replies now reach the customer.:0',
    ])
    const attachment = messages[0]!.attachments[0]
    expect(attachment).toMatchObject({ type: 'FILE', fileUsageType: 'IMAGE' })
    const stored = attachment?.type === 'FILE' ? w.hs.portal.files.get(String(attachment.fileId)) : undefined
    expect(stored?.data.toString()).toBe('jpeg bytes')
  })

  it('handles long histories: every message the bot passes, in order, in as few messages as HubSpot limits allow', async () => {
    const w = await world()
    const history = Array.from({ length: 60 }, (_, i) => ({
      from: i % 2 ? ('bot' as const) : ('customer' as const),
      type: 'text',
      payload: { text: `message ${i}` },
    }))
    history.push({ from: 'customer', type: 'text', payload: { text: 'x'.repeat(9000) } })
    const session = await w.bot.escalate({ customer: { name: 'Jane', email: 'jane.doe@example.com' }, history })
    const texts = threadMessages(w, threadOf(w, session)).map((m) => m.text)
    expect(texts.every((t) => t.length <= 4000)).toBe(true)
    // Every line once, in order, in as few messages as the text limit allows.
    const all = texts.join('\n')
    const positions = history.slice(0, 60).map((h, i) => all.indexOf(`${i % 2 ? 'Bot' : 'Jane'}: ${h.payload.text}\n`))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    expect(all.replace(/[^x]/g, '')).toHaveLength(9000)
    expect(texts.length).toBe(4)
  })
})

describe('[contact] the customer is a HubSpot contact without prerequisites', () => {
  it('an email matches the existing contact', async () => {
    const w = await world()
    const before = contactsOf(w).length
    const session = await w.bot.escalate({ customer: { name: 'Jane', email: 'Jane.Doe@Example.com' } })
    expect(w.hs.portal.threads.get(threadOf(w, session))?.associatedContactId).toBe('901')
    expect(contactsOf(w)).toHaveLength(before)
  })

  it.each(['+1 514-555-0100', '+15145550100', '(514) 555-0100', '514.555.0100'])(
    'the phone number %s matches the existing contact',
    async (phone) => {
      const w = await world({ configuration: { defaultCountry: 'US' } })
      const session = await w.bot.escalate({ customer: { name: 'Jane', email: phone } })
      expect(w.hs.portal.threads.get(threadOf(w, session))?.associatedContactId).toBe('901')
    }
  )

  it('with policy "create", an unknown email becomes a new contact with the name', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'Zoe Martin', email: 'zoe@example.org' } })
    const created = contactsOf(w).find((c) => c.properties.email === 'zoe@example.org')
    expect(created?.properties).toMatchObject({ firstname: 'Zoe', lastname: 'Martin' })
    expect(w.hs.portal.threads.get(threadOf(w, session))?.associatedContactId).toBe(created?.id)
  })

  it('with policy "anonymous", an unknown customer continues as a visitor and no contact is created', async () => {
    const w = await world({ configuration: { contactPolicy: 'anonymous' } })
    const before = contactsOf(w).length
    const session = await w.bot.escalate({ customer: { name: 'Zoe', email: 'zoe@example.org' } })
    expect(w.hs.portal.threads.get(threadOf(w, session))?.customer.kind).toBe('visitor')
    expect(contactsOf(w)).toHaveLength(before)
  })

  it('with policy "refuse", the escalation stops with an error that says what to do', async () => {
    const w = await world({ configuration: { contactPolicy: 'refuse' } })
    expect(await failureOf(w.bot.escalate({ customer: { name: 'Zoe', email: 'zoe@example.org' } }))).toMatch(
      /^No HubSpot contact matches the customer, and the contact policy is "refuse"\. Create the contact/
    )
  })

  it("the plugin's placeholder email is not sent to HubSpot: the customer is an anonymous visitor", async () => {
    const w = await world()
    const before = contactsOf(w).length
    const session = await w.bot.escalate({ customer: { name: 'Anonymous' } })
    const thread = w.hs.portal.threads.get(threadOf(w, session))
    expect(thread?.customer.kind).toBe('visitor')
    expect(contactsOf(w)).toHaveLength(before)
    expect(JSON.stringify(threadMessages(w, threadOf(w, session)))).not.toMatch(/no-reply/)
  })
})

describe('[routing] sessions go to the right inbox and never mix', () => {
  it('hitlSession.inboxId routes to a configured inbox; without it, the default inbox', async () => {
    const w = await world()
    const sales = await w.bot.escalate({
      customer: { name: 'A', email: 'a@example.com' },
      hitlSession: { inboxId: '1002' },
    })
    const support = await w.bot.escalate({ customer: { name: 'B', email: 'b@example.com' } })
    expect(w.hs.portal.threads.get(threadOf(w, sales))?.inboxId).toBe('1002')
    expect(w.hs.portal.threads.get(threadOf(w, support))?.inboxId).toBe('1001')
  })

  it('an inbox that is not configured is refused with the list of configured ones', async () => {
    const w = await world()
    expect(
      await failureOf(
        w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' }, hitlSession: { inboxId: '1003' } })
      )
    ).toBe(
      'The session names an inbox that is not configured. hitlSession.inboxId is 1003; add it to "Other inbox IDs" or use one of: 1001, 1002.'
    )
  })

  it('[concurrent] one customer escalated twice over time gets two threads', async () => {
    const w = await world()
    const first = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
    await w.bot.end(first)
    const second = await w.bot.escalate({ customer: { name: 'A', email: 'a@example.com' } })
    expect(threadOf(w, first)).not.toBe(threadOf(w, second))
    w.hs.agent.reply(threadOf(w, second), { actorId: 'A-111', text: 'second session' })
    await settle(w)
    expect(customerView(w, first)).toEqual([])
    expect(customerView(w, second).map((m) => m.payload.text)).toEqual(['second session'])
  })
})

describe('[language] the integration writes in the configured language', () => {
  it('French transcript labels and notices', async () => {
    const w = await world({ configuration: { language: 'fr' } })
    const session = await w.bot.escalate({
      customer: { name: 'Jeanne', email: 'a@example.com' },
      title: 'Remboursement',
      history: [{ from: 'customer', type: 'text', payload: { text: 'Bonjour' } }],
    })
    await w.bot.notice(session, 'le client est parti')
    const texts = threadMessages(w, threadOf(w, session)).map((m) => m.text)
    expect(texts[0]).toBe(
      'Demande à parler à une personne, envoyée par le chatbot au nom de ce client.\nSujet : Remboursement\nLa conversation avec le bot jusqu’ici (1 message), chaque ligne avec son auteur :\n\n' +
        'Jeanne: Bonjour\n\nFin de la conversation avec le bot. Vos réponses parviennent désormais au client.'
    )
    expect(texts.at(-1)).toBe('Message du bot : le client est parti')
  })

  it('German delivery failures reach the agent in German', async () => {
    const w = await world({ configuration: { language: 'de' } })
    const session = await w.bot.escalate({ customer: { name: 'Jana', email: 'a@example.com' } })
    const threadId = threadOf(w, session)
    await w.bot.end(session)
    await settle(w)
    const reply = w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Sind Sie noch da?' })
    await settle(w)
    expect(w.hs.portal.messageById.get(reply.id)?.status?.failureDetails?.errorMessage).toBe(
      'Nicht zugestellt: Die Chat-Sitzung des Kunden ist beendet.'
    )
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
})
