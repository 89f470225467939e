// What the customer, the agent and the bot builder experience beyond the basic flow.
import { describe, expect, it } from 'vitest'
import {
  customerView,
  eventsOf,
  failureOf,
  hostFile,
  reportedStatus,
  shownStatus,
  sendAppWebhook,
  settle,
  threadMessages,
  threadOf,
  world,
} from './helpers'

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

describe('[notice] notices from the bot read as notices', () => {
  it('a hitl message without payload.userId is published by the bot, labelled, not as the customer', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'Jane', email: 'a@example.com' } })
    await w.bot.notice(session, 'The customer is typing from a mobile device')
    const last = threadMessages(w, threadOf(w, session)).at(-1)!
    expect(last.direction).toBe('OUTGOING')
    expect(last.senders[0]?.name).toBe('Bot')
    expect(last.text).toBe('Notice from the bot: The customer is typing from a mobile device')
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
