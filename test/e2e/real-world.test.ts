// Behaviours of the real HubSpot and the real hitl plugin that the stand-ins model (testbed/README.md
// lists each one and its source), and that the integration survives.
import { describe, expect, it } from 'vitest'
import { PLUGIN_MESSAGES } from '../../testbed/botpress/hitl-bot'
import type { World } from '../../testbed/world'
import {
  customerView,
  escalated,
  eventsOf,
  hostFile,
  postWebhook,
  reportedStatus,
  shownStatus,
  sendAppWebhook,
  settle,
  threadMessages,
  threadOf,
  v3Headers,
  withheldAgentReply,
  world,
} from './helpers'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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

  it('[real-world] without assignment the plugin ends the session at its timeout, and the integration closes the thread', async () => {
    const w = await world({ plugin: { activationDelayMs: 250, agentAssignedTimeoutSeconds: 1 } })
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    await sleep(1500)
    expect(w.bot.status(session)).toMatchObject({ active: false, endReason: 'assignment-timeout' })
    expect(w.hs.portal.threads.get(threadOf(w, session))?.status).toBe('CLOSED')
  })
})

describe('[real-world] channel capabilities HubSpot accepts', () => {
  it('[real-world] the channel declares one file per message and 10,000,000 bytes; out-of-range values are refused as HubSpot refuses them', async () => {
    const w = await world()
    const channel = [...w.hs.portal.channels.values()][0]!
    expect(channel.capabilities).toMatchObject({
      maxFileAttachmentCount: 1,
      maxFileAttachmentSizeBytes: 10_000_000,
      maxTotalFileAttachmentSizeBytes: 10_000_000,
    })
    const refused = await fetch(
      `${w.hs.url}/conversations/custom-channels/2026-03?hapikey=${w.hs.app.developerApiKey}&appId=${w.hs.app.appId}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Too many files',
          capabilities: { ...channel.capabilities, maxFileAttachmentCount: 10 },
        }),
      }
    )
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ subCategory: 'CustomChannelsError.INVALID_CHANNEL_CAPABILITY_VALUES' })
  })

  it('[real-world] a customer message with three files reaches the agent as three messages of one file each, in order, text first', async () => {
    const { w, session, threadId } = await escalated()
    const urls = await Promise.all(
      ['a.png', 'b.png', 'c.pdf'].map((name) =>
        hostFile(w, name, `bytes of ${name}`, name.endsWith('pdf') ? 'application/pdf' : 'image/png')
      )
    )
    await w.bot.customerSays(session, {
      type: 'bloc',
      payload: {
        items: [
          { type: 'text', payload: { text: 'Three files' } },
          ...urls.slice(0, 2).map((imageUrl) => ({ type: 'image', payload: { imageUrl } })),
          { type: 'file', payload: { fileUrl: urls[2]!, title: 'c.pdf' } },
        ],
      },
    })
    const incoming = threadMessages(w, threadId)
      .filter((m) => m.direction === 'INCOMING')
      .slice(-3)
    expect(incoming.map((m) => [m.text, m.attachments.length])).toEqual([
      ['Three files\n\nc.pdf', 1],
      ['', 1],
      ['', 1],
    ])
    const names = incoming.map((m) =>
      m.attachments[0]?.type === 'FILE'
        ? w.hs.portal.files.get(String(m.attachments[0].fileId))?.data.toString()
        : undefined
    )
    expect(names).toEqual(['bytes of a.png', 'bytes of b.png', 'bytes of c.pdf'])
  })
})

describe('[real-world] app webhook batches and thread lifecycle', () => {
  it('[real-world] a batch mixing contact and association events (no objectId) with ours: ours are applied, nothing refused', async () => {
    const { w, session, threadId } = await escalated()
    const answer = await sendAppWebhook(w, [
      { subscriptionType: 'contact.creation', objectId: 901, changeFlag: 'CREATED' },
      {
        subscriptionType: 'contact.associationChange',
        fromObjectId: 901,
        toObjectId: 42,
        associationType: 'CONTACT_TO_COMPANY',
        associationRemoved: false,
      },
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: Number(threadId),
        propertyName: 'assignedTo',
        propertyValue: '111',
      },
      {
        subscriptionType: 'conversation.propertyChange',
        objectId: null,
        propertyName: 'assignedTo',
        propertyValue: '222',
      },
    ])
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text).handled).toEqual([
      'ignored: contact.creation',
      'ignored: contact.associationChange',
      'agent assigned',
      'ignored: malformed conversation.propertyChange',
    ])
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned'])
  })

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

  it('[real-world] a v3 signature over the target URL with a trailing slash verifies; one over another URL does not', async () => {
    const { w, session, threadId } = await escalated()
    const { body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Trailing slash' })
    expect((await postWebhook(w, body, v3Headers(w, body, { uri: `${w.driver.webhookUrl}/` }))).status).toBe(200)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Trailing slash'])
    const other = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Elsewhere' })
    expect(
      (await postWebhook(w, other.body, v3Headers(w, other.body, { uri: `${w.driver.webhookUrl}/other` }))).status
    ).toBe(401)
  })
})
