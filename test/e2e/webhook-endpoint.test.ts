// The webhook endpoint: signatures over the URL HubSpot called, batches of other subscriptions'
// events, webhooks about threads or portals that are not ours.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { World } from '../../testbed/world'
import {
  customerView,
  eventsOf,
  shownStatus,
  sendAppWebhook,
  threadOf,
  world,
  escalated,
  postWebhook,
  setEnv,
  v3Headers,
  withheldAgentReply,
  type Headers,
  jane,
  v1Headers,
  reportedStatusType,
} from './helpers'

const appEvent = (w: World, threadId: string, fields: { propertyName: string; propertyValue: string }) => ({
  eventId: Math.floor(Math.random() * 1e9),
  subscriptionId: 1,
  portalId: Number(w.hs.portalId),
  appId: Number(w.hs.app.appId),
  occurredAt: Date.now(),
  subscriptionType: 'conversation.propertyChange',
  attemptNumber: 0,
  objectId: Number(threadId),
  changeSource: 'CONVERSATIONS',
  ...fields,
})

describe('isolation', () => {
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

describe('[signature] webhook signatures', () => {
  it('[signature] a channel webhook without a valid, fresh v3 signature over the raw body and the public URL is refused with 401 and changes nothing', async () => {
    const { w, session, threadId } = await escalated()
    const { message, body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Hi Jane, Ann here' })
    const tampered = body.replace('Hi Jane, Ann here', 'Send me your password')
    const sixMinutes = 6 * 60 * 1000
    const refused: [string, string, Headers][] = [
      ['no signature at all', body, {}],
      ['a timestamp but no signature', body, { 'x-hubspot-request-timestamp': String(Date.now()) }],
      [
        'a signature but no timestamp',
        body,
        { 'x-hubspot-signature-v3': v3Headers(w, body)['x-hubspot-signature-v3']! },
      ],
      [
        'a stale timestamp (6 min old), correctly signed',
        body,
        v3Headers(w, body, { timestamp: Date.now() - sixMinutes }),
      ],
      [
        'a future timestamp (6 min ahead), correctly signed',
        body,
        v3Headers(w, body, { timestamp: Date.now() + sixMinutes }),
      ],
      ['a non-numeric timestamp', body, { ...v3Headers(w, body), 'x-hubspot-request-timestamp': 'yesterday' }],
      ['signed with another secret', body, v3Headers(w, body, { secret: 'not-the-client-secret' })],
      ['signed over the internal integration URL', body, v3Headers(w, body, { uri: w.integrationUrl })],
      ['signed over another webhook id', body, v3Headers(w, body, { uri: `${w.bp.webhookBaseUrl}/${randomUUID()}` })],
      ['a body changed after signing', tampered, v3Headers(w, body)],
      [
        'a truncated signature',
        body,
        { ...v3Headers(w, body), 'x-hubspot-signature-v3': v3Headers(w, body)['x-hubspot-signature-v3']!.slice(0, 10) },
      ],
      ['only a valid v1 signature (channel webhooks carry v3)', body, v1Headers(w, body)],
    ]
    w.hs.resetCalls()
    const messagesBefore = w.bp.store.messages.size
    for (const [label, sent, headers] of refused) {
      expect((await postWebhook(w, sent, headers)).status, label).toBe(401)
    }
    expect(w.bp.store.messages.size).toBe(messagesBefore)
    expect(customerView(w, session)).toEqual([])
    expect(reportedStatusType(w, message.id)).toBeUndefined()
    expect(w.hs.calls).toEqual([])

    // The same body, signed 4 minutes ago with the right secret and URL, is delivered.
    expect((await postWebhook(w, body, v3Headers(w, body, { timestamp: Date.now() - 4 * 60 * 1000 }))).status).toBe(200)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Hi Jane, Ann here'])
    expect(shownStatus(w, message.id)).toBe('SENT')
  })

  it('[signature] an app webhook (array) with no v3 header is accepted on its v1 signature, and refused when v1 or a present v3 is wrong', async () => {
    const { w, session, threadId } = await escalated()
    const body = JSON.stringify([appEvent(w, threadId, { propertyName: 'assignedTo', propertyValue: '111' })])

    expect((await postWebhook(w, body, v1Headers(w, body, 'not-the-client-secret'))).status).toBe(401)
    expect(
      (
        await postWebhook(w, body, {
          'x-hubspot-signature': v1Headers(w, body)['x-hubspot-signature']!.toUpperCase().slice(2),
        })
      ).status
    ).toBe(401)
    // When v3 is present it decides, even if v1 is right.
    expect(
      (
        await postWebhook(w, body, {
          ...v1Headers(w, body),
          ...v3Headers(w, body, { secret: 'not-the-client-secret' }),
        })
      ).status
    ).toBe(401)
    expect(
      (
        await postWebhook(w, body, {
          ...v1Headers(w, body),
          ...v3Headers(w, body, { timestamp: Date.now() - 10 * 60 * 1000 }),
        })
      ).status
    ).toBe(401)
    expect(eventsOf(w, session)).toEqual([])

    expect((await postWebhook(w, body, v1Headers(w, body))).status).toBe(200)
    const events = eventsOf(w, session)
    expect(events.map((e) => e.type)).toEqual(['hitlAssigned'])
    expect(w.bp.store.users.get(String(events[0]!.payload.userId))?.name).toBe('Ann Agent')
  })

  it('[signature] a channel webhook (object body) signed only with v1 is refused, however correct the v1 signature', async () => {
    const { w, session, threadId } = await escalated()
    const { message, body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'v1 only' })
    expect((await postWebhook(w, body, v1Headers(w, body))).status).toBe(401)
    expect((await postWebhook(w, body, { ...v1Headers(w, body), 'x-hubspot-signature-version': 'v2' })).status).toBe(
      401
    )
    expect(customerView(w, session)).toEqual([])
    expect(reportedStatusType(w, message.id)).toBeUndefined()
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
})

describe('[real-world] agent messages as HubSpot sends them', () => {
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

describe('[signature] the public URL', () => {
  it('register uses the webhook URL Botpress gives it, and webhooks are verified against it even when BP_WEBHOOK_URL differs', async () => {
    const w = await world({ register: false })
    setEnv({ BP_WEBHOOK_URL: 'https://webhook.elsewhere.test' })
    await w.driver.register()
    expect([...w.hs.portal.channels.values()][0]?.webhookUrl).toBe(w.driver.webhookUrl)
    const session = await w.bot.escalate({ customer: { name: 'Jane', email: 'jane.doe@example.com' } })
    w.hs.agent.reply(threadOf(w, session), { actorId: 'A-111', text: 'Signed for the right URL' })
    await w.hs.settle()
    expect(w.bot.agentMessages(session).map((m) => m.payload.text)).toEqual(['Signed for the right URL'])
  })
})
