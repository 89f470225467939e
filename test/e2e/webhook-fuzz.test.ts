// Property-based fuzzing of the webhook endpoint over HTTP (through Botpress's webhook relay): bad
// input never gets a 5xx, never crashes the integration, and never writes anything.
import fc from 'fast-check'
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signV1, signV3 } from '../../src/hubspot/signature'
import type { World } from '../../testbed/world'
import { customerView, settle, threadOf, world } from './helpers'

type Headers = Record<string, string>

const signed = (w: World, body: string): Headers => {
  const timestamp = Date.now()
  return {
    'x-hubspot-signature-v3': signV3({
      secret: w.hs.app.clientSecret,
      method: 'POST',
      uri: w.driver.webhookUrl,
      body,
      timestamp,
    }),
    'x-hubspot-request-timestamp': String(timestamp),
    'x-hubspot-signature': signV1({ secret: w.hs.app.clientSecret, body }),
    'x-hubspot-signature-version': 'v1',
  }
}

const send = async (w: World, body: string, headers: Headers, method = 'POST', path = '') => {
  const response = await fetch(`${w.driver.webhookUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
    redirect: 'manual',
  })
  return { status: response.status, text: await response.text() }
}

// Everything Botpress holds, and the delivery status of every HubSpot message.
const snapshot = (w: World) =>
  JSON.stringify({
    users: w.bp.store.users.size,
    conversations: [...w.bp.store.conversations.values()].map((c) => [c.id, c.tags]),
    messages: w.bp.store.messages.size,
    events: w.bp.store.events.size,
    files: w.bp.store.files.size,
    states: [...w.bp.store.states.entries()].map(([key, state]) => [key, state.payload]),
    hubspotStatuses: [...w.hs.portal.messageById.values()].map((m) => [m.id, m.status?.statusType]),
    hubspotMessages: w.hs.portal.messageById.size,
  })

// A live session to aim junk at: its real thread, conversation and channel appear in the junk, so
// a lenient parser would have something to act on.
const setUpTarget = async () => {
  const w = await world()
  const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
  await settle(w)
  const threadId = threadOf(w, session)
  const channelId = [...w.hs.portal.channels.values()][0]!.id
  return { w, session, threadId, channelId }
}

const deeplyNested = fc
  .tuple(
    fc.integer({ min: 50, max: 15_000 }) /* under 1 MB */,
    fc.constantFrom('[', '{"a":', '{"type":"OUTGOING_CHANNEL_MESSAGE_CREATED","message":')
  )
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : '}'
    return open === '[' ? `${open.repeat(depth)}${close.repeat(depth)}` : `${open.repeat(depth)}1${close.repeat(depth)}`
  })

const junkValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constantFrom('', 'CLOSED', 'OPEN', '111', 'A-111', 'A-', '-1', '1e309', 'NaN', '__proto__', 'constructor'),
  fc.array(fc.jsonValue(), { maxLength: 4 }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 })
)

type Target = { threadId: string; channelId: string; conversationId: string; portalId: string }

// Well-formed events that are not for this integration to act on: other threads, portals or
// channels, event types it does not handle, and thread messages that are not agent replies.
const validButNotOurs = (target: Target) => {
  const otherThread = fc.integer({ min: 1, max: 2 ** 31 }).filter((n) => String(n) !== target.threadId)
  const appEvent = fc.oneof(
    otherThread.map((objectId) => ({
      subscriptionType: 'conversation.propertyChange',
      objectId,
      propertyName: 'status',
      propertyValue: 'CLOSED',
      portalId: Number(target.portalId),
    })),
    otherThread.map((objectId) => ({
      subscriptionType: 'conversation.propertyChange',
      objectId,
      propertyName: 'assignedTo',
      propertyValue: '111',
      portalId: Number(target.portalId),
    })),
    fc
      .integer({ min: 1, max: 2 ** 31 })
      .filter((n) => String(n) !== target.portalId)
      .map((portalId) => ({
        subscriptionType: 'conversation.propertyChange',
        objectId: Number(target.threadId),
        propertyName: 'status',
        propertyValue: 'CLOSED',
        portalId,
      })),
    // (conversation.deletion and statuses such as ARCHIVED end the session: they are ours to act on.)
    fc
      .constantFrom(
        'conversation.creation',
        'conversation.newMessage',
        'conversation.privacyDeletion',
        'contact.creation'
      )
      .map((subscriptionType) => ({
        subscriptionType,
        objectId: Number(target.threadId),
        portalId: Number(target.portalId),
      })),
    fc.constantFrom('isArchived', 'inboxId', 'latestMessageTimestamp').map((propertyName) => ({
      subscriptionType: 'conversation.propertyChange',
      objectId: Number(target.threadId),
      propertyName,
      propertyValue: 'true',
      portalId: Number(target.portalId),
    })),
    fc.constantFrom('', 'closed?', 'Open!', '42').map((propertyValue) => ({
      subscriptionType: 'conversation.propertyChange',
      objectId: Number(target.threadId),
      propertyName: 'status',
      propertyValue,
      portalId: Number(target.portalId),
    }))
  )
  const appBatch = fc.array(appEvent, { minLength: 1, maxLength: 10 }).map((events) =>
    JSON.stringify(
      events.map((event, i) => ({
        eventId: i + 1,
        subscriptionId: 1,
        appId: 1,
        occurredAt: Date.now(),
        attemptNumber: 0,
        ...event,
      }))
    )
  )
  const message = (overrides: Record<string, unknown>) => ({
    id: randomUUID(),
    type: 'MESSAGE',
    conversationsThreadId: target.threadId,
    channelId: target.channelId,
    createdAt: new Date().toISOString(),
    createdBy: 'A-111',
    direction: 'OUTGOING',
    text: 'not for the customer',
    senders: [{ actorId: 'A-111', name: 'Ann Agent' }],
    recipients: [],
    attachments: [],
    client: { clientType: 'HUBSPOT' },
    ...overrides,
  })
  const channelEvent = fc
    .oneof(
      fc.constant({ message: message({ direction: 'INCOMING', createdBy: 'V-901', senders: [{ actorId: 'V-901' }] }) }),
      fc.constant({
        message: message({
          client: { clientType: 'INTEGRATION', integrationAppId: 1 },
          createdBy: 'I-1',
          senders: [{ actorId: 'I-1' }],
        }),
      }),
      fc
        .constantFrom('S-hubspot', 'B-1', 'V-901', 'E-x@example.com')
        .map((actorId) => ({ message: message({ createdBy: actorId, senders: [{ actorId }] }) })),
      fc
        .integer({ min: 1, max: 2 ** 31 })
        .filter((n) => String(n) !== target.channelId)
        .map((channelId) => ({ channelId: String(channelId), message: message({ channelId: String(channelId) }) })),
      fc
        .integer({ min: 1, max: 2 ** 31 })
        .filter((n) => String(n) !== target.portalId)
        .map((portalId) => ({ portalId: String(portalId), message: message({}) })),
      fc
        .constantFrom(
          'CHANNEL_ACCOUNT_CREATED',
          'CHANNEL_ACCOUNT_UPDATED',
          'CHANNEL_ACCOUNT_PURGED',
          'MESSAGE_STATUS_UPDATED',
          'SOMETHING_NEW'
        )
        .map((type) => ({ type }))
    )
    .map((fields) =>
      JSON.stringify({
        type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
        eventId: randomUUID(),
        portalId: target.portalId,
        channelId: target.channelId,
        channelIntegrationThreadIds: [target.conversationId],
        ...fields,
      })
    )
  return fc.oneof(appBatch, channelEvent)
}

const bodies = (target: Target) => {
  // Junk shaped like app webhook events: real subscription types with wrong types or values.
  const junkAppEvent = fc.record(
    {
      eventId: fc.oneof(fc.integer(), junkValue),
      subscriptionId: fc.oneof(fc.integer(), junkValue),
      portalId: fc.oneof(fc.constant(Number(target.portalId)), fc.constant(target.portalId), junkValue),
      appId: fc.oneof(fc.integer(), junkValue),
      occurredAt: fc.oneof(fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER), junkValue),
      subscriptionType: fc.oneof(
        fc.constantFrom(
          'conversation.propertyChange',
          'conversation.creation',
          'conversation.newMessage',
          'conversation.deletion',
          'contact.creation'
        ),
        fc.string()
      ),
      attemptNumber: fc.oneof(fc.integer(), junkValue),
      // The live thread only with a wrong type, so the event cannot be valid.
      objectId: fc.oneof(
        fc.constant([Number(target.threadId)]),
        fc.constant({ id: target.threadId }),
        fc.constant(null),
        fc.boolean(),
        fc.double({ min: 0.1, max: 0.9 })
      ),
      propertyName: fc.oneof(fc.constantFrom('assignedTo', 'status', 'isArchived'), junkValue),
      propertyValue: fc.oneof(fc.constantFrom('CLOSED', 'OPEN', '111', 'A-222'), fc.integer(), junkValue),
    },
    { requiredKeys: [] }
  )
  // Junk shaped like channel events for an unknown message and thread, or with wrong types.
  const junkChannelEvent = fc.record(
    {
      type: fc.oneof(
        fc.constantFrom(
          'OUTGOING_CHANNEL_MESSAGE_CREATED',
          'CHANNEL_ACCOUNT_CREATED',
          'CHANNEL_ACCOUNT_PURGED',
          'MESSAGE_STATUS_UPDATED'
        ),
        fc.string()
      ),
      eventId: junkValue,
      portalId: fc.oneof(fc.constant(target.portalId), junkValue),
      channelId: fc.oneof(fc.constant(target.channelId), junkValue),
      channelIntegrationThreadIds: fc.oneof(
        fc.constant([`conv_${randomUUID()}`]),
        fc.constant(target.conversationId),
        fc.constant([42]),
        junkValue
      ),
      message: fc.oneof(
        junkValue,
        fc.record(
          {
            id: fc.oneof(fc.uuid(), junkValue),
            type: fc.oneof(fc.constant('MESSAGE'), junkValue),
            conversationsThreadId: fc.oneof(fc.constant(Number(target.threadId)), fc.constant('999999999'), junkValue),
            channelId: fc.oneof(fc.constant(target.channelId), junkValue),
            direction: fc.oneof(fc.constantFrom('OUTGOING', 'INCOMING'), junkValue),
            text: junkValue,
            createdBy: fc.oneof(fc.constantFrom('A-111', 'V-901', 'I-1'), junkValue),
            senders: fc.oneof(fc.constant([{ actorId: 'A-111' }]), junkValue),
            attachments: fc.oneof(fc.constant([{ type: 'FILE', fileId: 1, url: 'file:///etc/passwd' }]), junkValue),
            createdAt: fc.oneof(fc.constant('not a date'), junkValue),
          },
          { requiredKeys: [] }
        )
      ),
    },
    { requiredKeys: [] }
  )
  return fc.oneof(
    validButNotOurs(target),
    fc.string({ maxLength: 300 }), // mostly malformed JSON
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
    fc.array(junkAppEvent, { maxLength: 20 }).map((events) => JSON.stringify(events)),
    fc.array(junkValue, { minLength: 1, maxLength: 20 }).map((items) => JSON.stringify(items)),
    junkChannelEvent.map((event) => JSON.stringify(event)),
    junkChannelEvent.map((event) => JSON.stringify(event).slice(0, -1)), // cut short
    deeplyNested,
    fc.constantFrom(
      '',
      ' ',
      'null',
      '[]',
      '{}',
      '[null]',
      '[[]]',
      '"text"',
      '0',
      'true',
      '\u0000',
      '{"type":null}',
      '{"type":{}}',
      '[{"__proto__":{"polluted":1}}]'
    )
  )
}

describe('[fuzz] the webhook endpoint under hostile input', () => {
  it('[fuzz] signed junk never gets a 5xx and never writes anything', async () => {
    const { w, session, threadId, channelId } = await setUpTarget()
    const before = snapshot(w)
    const statuses = new Set<number>()
    await fc.assert(
      fc.asyncProperty(
        bodies({ threadId, channelId, conversationId: session.conversationId, portalId: w.hs.portalId }),
        async (body) => {
          const { status } = await send(w, body, signed(w, body))
          statuses.add(status)
          expect([200, 400, 413]).toContain(status)
          expect(snapshot(w)).toBe(before)
        }
      ),
      { numRuns: 200 }
    )
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // Some junk parses as JSON of the wrong shape, some does not, some is merely not ours.
    expect(statuses.has(400)).toBe(true)
    expect(statuses.has(200)).toBe(true)

    // Still alive and still correct afterwards.
    w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Still there?' })
    await settle(w)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Still there?'])
  })

  it('[fuzz] unsigned, badly signed or stale requests are refused with 401 whatever the body', async () => {
    const { w, session, threadId, channelId } = await setUpTarget()
    const before = snapshot(w)
    const garbageHeaders = fc.record(
      {
        'x-hubspot-signature-v3': fc.oneof(
          fc.string(),
          fc.base64String({ minLength: 44, maxLength: 44 }),
          fc.constant('')
        ),
        'x-hubspot-request-timestamp': fc.oneof(
          fc.string(),
          fc.integer({ min: 0, max: Date.now() - 6 * 60_000 }).map(String),
          fc.constantFrom('1e13', '-1', '0x1', ' ', '99999999999999999999', String(Date.now() + 3_600_000))
        ),
        'x-hubspot-signature': fc.oneof(
          fc.string(),
          fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 })
        ),
        'x-hubspot-signature-version': fc.constantFrom('v1', 'v2', 'v3', 'V1', '', 'sha256'),
      },
      { requiredKeys: [] }
    )
    // Header values must be valid HTTP header text.
    const printable = (headers: Record<string, string>) =>
      Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '?')]))
    await fc.assert(
      fc.asyncProperty(
        bodies({ threadId, channelId, conversationId: session.conversationId, portalId: w.hs.portalId }),
        garbageHeaders,
        async (body, headers) => {
          const { status } = await send(w, body, printable(headers))
          expect(status).toBe(401)
          expect(snapshot(w)).toBe(before)
        }
      ),
      { numRuns: 150 }
    )
    // A correctly signed real event whose signature was made for another body, or 6 minutes ago.
    const assign = JSON.stringify([
      {
        eventId: 1,
        subscriptionId: 1,
        portalId: Number(w.hs.portalId),
        appId: Number(w.hs.app.appId),
        occurredAt: Date.now(),
        subscriptionType: 'conversation.propertyChange',
        attemptNumber: 0,
        objectId: Number(threadId),
        propertyName: 'status',
        propertyValue: 'CLOSED',
      },
    ])
    expect((await send(w, assign, signed(w, assign.replace('CLOSED', 'OPEN')))).status).toBe(401)
    const old = Date.now() - 6 * 60_000
    expect(
      (
        await send(w, assign, {
          'x-hubspot-signature-v3': signV3({
            secret: w.hs.app.clientSecret,
            method: 'POST',
            uri: w.driver.webhookUrl,
            body: assign,
            timestamp: old,
          }),
          'x-hubspot-request-timestamp': String(old),
        })
      ).status
    ).toBe(401)
    expect(snapshot(w)).toBe(before)
    expect(w.bot.isActive(session)).toBe(true)
  })

  it('[fuzz] bodies over 1 MB are refused with 413, signed or not, and the integration keeps answering', async () => {
    const { w, session, threadId } = await setUpTarget()
    const before = snapshot(w)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1024 * 1024 + 1, max: 3 * 1024 * 1024 }),
        fc.constantFrom('[', '{"type":"OUTGOING_CHANNEL_MESSAGE_CREATED","message":"', 'x'),
        fc.boolean(),
        async (size, start, sign) => {
          const body = start + 'a'.repeat(size - start.length)
          const { status } = await send(w, body, sign ? signed(w, body) : {})
          expect(status).toBe(413)
        }
      ),
      { numRuns: 8 }
    )
    expect(snapshot(w)).toBe(before)
    w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'After the big ones' })
    await settle(w)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['After the big ones'])
  })

  it('[fuzz] any method, sub-path and query gets an answer below 500 that reflects no markup', async () => {
    const { w } = await setUpTarget()
    const before = snapshot(w)
    const marker = '<script>alert(1)</script>'
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        fc.constantFrom(
          '',
          '/',
          '/oauth/start',
          '/oauth/callback',
          '/oauth',
          '/..%2f..',
          '/%00',
          '/oauth/callback/',
          `/${'x'.repeat(2000)}`
        ),
        fc.dictionary(
          fc.constantFrom('code', 'state', 'error', 'error_description', 'hapikey', 'x'),
          fc.oneof(fc.string(), fc.constant(marker)),
          { maxKeys: 4 }
        ),
        async (method, path, query) => {
          const search = new URLSearchParams(query).toString()
          const { status, text } = await send(w, '{}', {}, method, `${path}${search ? `?${search}` : ''}`)
          expect(status).toBeLessThan(500)
          expect(text).not.toContain(marker)
        }
      ),
      { numRuns: 150 }
    )
    // The connect flow may start (302) but nothing is stored from a forged callback.
    expect(snapshot(w)).toBe(before)
  })
})
