import { Client, isApiError } from '@botpress/client'
import * as sdk from '@botpress/sdk'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { HitlBot } from '../../testbed/botpress/hitl-bot'
import {
  DriverError,
  startBotpressStandIn,
  type BotpressStandIn,
  type IntegrationDriver,
} from '../../testbed/botpress/index'

const BOT_ID = 'bot-standin-test'
const INTEGRATION_ID = 'int-standin-test'

let bp: BotpressStandIn
let client: Client

const createdFlag = (response: object): boolean | undefined =>
  (response as { meta?: { created?: boolean } }).meta?.created

async function expectApiError(promise: Promise<unknown>, code: number, type: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown
  )
  expect(isApiError(error), `expected an API error, got ${String(error)}`).toBe(true)
  if (isApiError(error)) {
    expect(error.code).toBe(code)
    expect(error.type).toBe(type)
  }
}

function rawGet(path: string): Promise<Response> {
  return fetch(`${bp.url}${path}`, { headers: { authorization: `Bearer ${bp.token}`, 'x-bot-id': BOT_ID } })
}

beforeAll(async () => {
  bp = await startBotpressStandIn({ token: 'test-token' })
  client = new Client({ apiUrl: bp.url, token: bp.token, botId: BOT_ID, integrationId: INTEGRATION_ID })
  // The integration's SDK builds its Client from these, per request.
  process.env.BP_API_URL = bp.url
  process.env.BP_TOKEN = bp.token
})

afterAll(async () => {
  await bp?.close()
})

describe('runtime API against the real @botpress/client', () => {
  it('rejects a wrong token with a typed 401 and records every call', async () => {
    bp.resetCalls()
    const intruder = new Client({ apiUrl: bp.url, token: 'wrong', botId: BOT_ID })
    await expectApiError(intruder.listUsers({}), 401, 'Unauthorized')
    expect(bp.calls.map(({ method, path }) => `${method} ${path}`)).toEqual(['GET /v1/chat/users'])
  })

  it('answers 404 with a Botpress-shaped body', async () => {
    const response = await rawGet('/v1/chat/users/user_missing')
    expect(response.status).toBe(404)
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ code: 404, type: 'ResourceNotFound' })
    expect(body.id).toMatch(/^err_\d{14}x[0-9A-F]{8}$/)
    expect(typeof body.message).toBe('string')
    await expectApiError(client.getUser({ id: 'user_missing' }), 404, 'ResourceNotFound')
  })

  it('rejects an invalid body with a typed 400', async () => {
    await expectApiError(
      client.createConversation({ channel: 'hitl', tags: { n: 1 as unknown as string } }),
      400,
      'InvalidPayload'
    )
  })

  it('creates, reads, updates, lists and deletes users', async () => {
    const { user } = await client.createUser({ name: 'Ada', tags: { role: 'customer', email: 'ada@example.com' } })
    expect(user).toMatchObject({ name: 'Ada', tags: { role: 'customer', email: 'ada@example.com' } })
    expect(user.id).toMatch(/^user_/)
    expect(Date.parse(user.createdAt)).not.toBeNaN()

    const { user: updated } = await client.updateUser({
      id: user.id,
      tags: { email: '', plan: 'pro' },
      pictureUrl: 'https://x/p.png',
    })
    expect(updated.tags).toEqual({ role: 'customer', plan: 'pro' })
    expect(updated.pictureUrl).toBe('https://x/p.png')
    expect((await client.getUser({ id: user.id })).user).toEqual(updated)

    const { users } = await client.listUsers({ tags: { plan: 'pro' } })
    expect(users.map((u) => u.id)).toEqual([user.id])

    await client.deleteUser({ id: user.id })
    await expectApiError(client.getUser({ id: user.id }), 404, 'ResourceNotFound')
  })

  it('getOrCreateUser is atomic under concurrency and honours discriminateByTags', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.getOrCreateUser({
          name: `Bob ${i}`,
          tags: { email: 'bob@example.com', attempt: String(i) },
          discriminateByTags: ['email'],
        })
      )
    )
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1)
    expect(results.filter((r) => createdFlag(r) === true)).toHaveLength(1)
    expect(results.filter((r) => createdFlag(r) === false)).toHaveLength(7)

    const again = await client.getOrCreateUser({ tags: { email: 'bob@example.com', attempt: '0' } })
    expect(again.user.id).toBe(results[0].user.id)
    const other = await client.getOrCreateUser({ tags: { email: 'bob@example.com', attempt: 'other' } })
    expect(other.user.id).not.toBe(results[0].user.id)
  })

  it('conversations: create, get, merge tags, get-or-create, list by channel and tags in both syntaxes', async () => {
    const { conversation } = await client.createConversation({
      channel: 'hitl',
      tags: { thread: 'th-1', inbox: 'sales' },
    })
    expect(conversation).toMatchObject({
      channel: 'hitl',
      integration: INTEGRATION_ID,
      tags: { thread: 'th-1', inbox: 'sales' },
    })
    await client.createConversation({ channel: 'other', tags: { thread: 'th-1' } })

    const { conversation: updated } = await client.updateConversation({
      id: conversation.id,
      tags: { assigned: 'A-1' },
    })
    expect(updated.tags).toEqual({ thread: 'th-1', inbox: 'sales', assigned: 'A-1' })
    expect((await client.getConversation({ id: conversation.id })).conversation.tags).toEqual(updated.tags)

    const dots = await client.listConversations({ channel: 'hitl', tags: { thread: 'th-1' } })
    expect(dots.conversations.map((c) => c.id)).toEqual([conversation.id])
    expect(bp.calls.at(-1)?.query).toContain('tags.thread=th-1')

    const brackets = await rawGet('/v1/chat/conversations?channel=hitl&tags[thread]=th-1&tags[inbox]=sales')
    const bracketBody = (await brackets.json()) as { conversations: { id: string }[] }
    expect(bracketBody.conversations.map((c) => c.id)).toEqual([conversation.id])
    const mismatch = await rawGet('/v1/chat/conversations?tags[thread]=th-1&tags[inbox]=support')
    expect(((await mismatch.json()) as { conversations: unknown[] }).conversations).toEqual([])

    const [first, second] = await Promise.all([
      client.getOrCreateConversation({ channel: 'hitl', tags: { thread: 'th-2' }, discriminateByTags: ['thread'] }),
      client.getOrCreateConversation({ channel: 'hitl', tags: { thread: 'th-2' }, discriminateByTags: ['thread'] }),
    ])
    expect(first.conversation.id).toBe(second.conversation.id)
    expect([createdFlag(first), createdFlag(second)].sort()).toEqual([false, true])
  })

  it('messages: create, get, ack tags, list newest first with pages, get-or-create, delete', async () => {
    const { conversation } = await client.createConversation({ channel: 'hitl', tags: {} })
    const { user } = await client.createUser({ tags: {} })
    const created = []
    for (let i = 0; i < 23; i++) {
      created.push(
        (
          await client.createMessage({
            conversationId: conversation.id,
            userId: user.id,
            type: 'text',
            payload: { text: `m${i}` },
            tags: { n: String(i) },
          })
        ).message
      )
    }
    expect(created[0]).toMatchObject({
      direction: 'incoming',
      userId: user.id,
      conversationId: conversation.id,
      payload: { text: 'm0' },
    })

    const { message: acked } = await client.updateMessage({ id: created[0].id, tags: { hubspotMessageId: 'hs-1' } })
    expect(acked.tags).toEqual({ n: '0', hubspotMessageId: 'hs-1' })
    expect((await client.getMessage({ id: created[0].id })).message.tags).toEqual(acked.tags)

    const firstPage = await client.listMessages({ conversationId: conversation.id })
    expect(firstPage.messages).toHaveLength(20)
    expect(firstPage.messages[0].id).toBe(created[22].id)
    expect(firstPage.meta.nextToken).toBeDefined()
    const secondPage = await client.listMessages({
      conversationId: conversation.id,
      nextToken: firstPage.meta.nextToken,
    })
    expect(secondPage.messages.map((m) => m.id)).toEqual([created[2].id, created[1].id, created[0].id])
    expect(secondPage.meta.nextToken).toBeUndefined()

    const byTag = await client.listMessages({ conversationId: conversation.id, tags: { hubspotMessageId: 'hs-1' } })
    expect(byTag.messages.map((m) => m.id)).toEqual([created[0].id])

    const attempts = await Promise.all(
      [1, 2, 3].map(() =>
        client.getOrCreateMessage({
          conversationId: conversation.id,
          userId: user.id,
          type: 'text',
          payload: { text: 'agent reply' },
          tags: { hubspotMessageId: 'hs-2' },
          discriminateByTags: ['hubspotMessageId'],
        })
      )
    )
    expect(new Set(attempts.map((a) => a.message.id)).size).toBe(1)
    expect(attempts.map(createdFlag).filter((flag) => flag === true)).toHaveLength(1)

    await client.deleteMessage({ id: attempts[0].message.id })
    await expectApiError(client.getMessage({ id: attempts[0].message.id }), 404, 'ResourceNotFound')
    await expectApiError(
      client.createMessage({ conversationId: 'conv_missing', userId: user.id, type: 'text', payload: {}, tags: {} }),
      404,
      'ResourceNotFound'
    )
  })

  it('events: create, get, list by type and conversation', async () => {
    const { conversation } = await client.createConversation({ channel: 'hitl', tags: {} })
    const { event } = await client.createEvent({
      type: 'hitlAssigned',
      payload: { conversationId: conversation.id, userId: 'u' },
      conversationId: conversation.id,
    })
    expect(event).toMatchObject({
      type: 'hitlAssigned',
      conversationId: conversation.id,
      status: 'pending',
      failureReason: null,
    })
    expect((await client.getEvent({ id: event.id })).event).toEqual(event)
    await client.createEvent({
      type: 'hitlStopped',
      payload: { conversationId: conversation.id },
      conversationId: conversation.id,
    })
    const { events } = await client.listEvents({ conversationId: conversation.id, type: 'hitlAssigned' })
    expect(events.map((e) => e.id)).toEqual([event.id])
  })

  it('states: 404 when unset, set, get, patch merge, get-or-set, expiry', async () => {
    const ref = { type: 'integration' as const, id: INTEGRATION_ID, name: 'setup' }
    await expectApiError(client.getState(ref), 404, 'ResourceNotFound')
    await expectApiError(client.patchState({ ...ref, payload: { a: 1 } }), 404, 'ResourceNotFound')

    const { state } = await client.setState({ ...ref, payload: { channelId: 'c1', accounts: { x: 1 } } })
    expect(state).toMatchObject({ botId: BOT_ID, type: 'integration', name: 'setup', payload: { channelId: 'c1' } })
    const { state: patched } = await client.patchState({ ...ref, payload: { portalId: 'p1' } })
    expect(patched.payload).toEqual({ channelId: 'c1', accounts: { x: 1 }, portalId: 'p1' })
    expect((await client.getState(ref)).state.payload).toEqual(patched.payload)

    const kept = await client.getOrSetState({ ...ref, payload: { channelId: 'ignored' } })
    expect(kept.state.payload.channelId).toBe('c1')
    const fresh = await client.getOrSetState({ ...ref, name: 'oauth', payload: { token: 't' } })
    expect(fresh.state.payload).toEqual({ token: 't' })

    await client.setState({ ...ref, name: 'short', payload: { v: 1 }, expiry: 40 })
    expect((await client.getState({ ...ref, name: 'short' })).state.payload).toEqual({ v: 1 })
    await new Promise((resolve) => setTimeout(resolve, 60))
    await expectApiError(client.getState({ ...ref, name: 'short' }), 404, 'ResourceNotFound')

    await expectApiError(
      client.setState({ type: 'conversation', id: 'conv_missing', name: 's', payload: {} }),
      404,
      'ResourceNotFound'
    )
  })

  it('configureIntegration stores the identifier', async () => {
    await client.configureIntegration({ identifier: 'portal-42' })
    expect(bp.store.integrationSettings.get(INTEGRATION_ID)?.identifier).toBe('portal-42')
  })

  it('files: uploadFile PUTs the bytes to the upload URL, getFile and the download URL serve them', async () => {
    const content = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10])
    const { file } = await client.uploadFile({
      key: 'attachments/photo.png',
      content,
      accessPolicies: ['public_content'],
    })
    expect(file).toMatchObject({ key: 'attachments/photo.png', contentType: 'image/png', size: content.byteLength })
    expect(file.url.startsWith(bp.url)).toBe(true)

    const { file: stored } = await client.getFile({ id: file.id })
    expect(stored).toMatchObject({ id: file.id, status: 'upload_completed', size: content.byteLength })
    const download = await fetch(stored.url)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true)

    const { file: replaced } = await client.uploadFile({
      key: 'attachments/photo.png',
      content: 'text now',
      contentType: 'text/plain',
    })
    expect(replaced.id).toBe(file.id)
    expect(await (await fetch(replaced.url)).text()).toBe('text now')
  })

  it('fault injection fails the next N matching calls with typed errors, then recovers', async () => {
    const { user } = await client.createUser({ tags: {} })
    const fault = bp.faults.inject({ method: 'GET', path: /^\/v1\/chat\/users\//, status: 503, count: 2 })
    await expectApiError(client.getUser({ id: user.id }), 500, 'Internal')
    expect(fault.remaining).toBe(1)
    const rateLimited = bp.faults.inject({
      path: '/v1/chat/events',
      status: 429,
      count: 1,
      headers: { 'retry-after': '7' },
    })
    const response = await fetch(`${bp.url}/v1/chat/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bp.token}`, 'x-bot-id': BOT_ID, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'x', payload: {} }),
    })
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('7')
    expect(await response.json()).toMatchObject({ code: 429, type: 'RateLimited' })
    expect(rateLimited.remaining).toBe(0)
    await expectApiError(client.getUser({ id: user.id }), 500, 'Internal')
    expect((await client.getUser({ id: user.id })).user.id).toBe(user.id)
    expect(bp.faults.pending).toHaveLength(0)
  })
})

// A tiny integration served over HTTP, to check the driver calls it like Botpress Cloud does.

type TinyIntegration = sdk.DefaultIntegration<{
  configuration: { inboxId?: string; secret?: string }
  actions: {
    echo: { input: { a: number }; output: { input: { a: number }; alias: string; configuration: object } }
    fail: { input: object; output: object }
    notify: { input: object; output: { eventId: string } }
    createUser: { input: { name: string; email: string; pictureUrl?: string }; output: { userId: string } }
    startHitl: { input: { userId: string; messageHistory: unknown[] }; output: { conversationId: string } }
    stopHitl: { input: { conversationId: string }; output: object }
  }
  channels: {
    hitl: {
      messages: { text: { text: string; userId?: string } }
      message: { tags: { remoteId: string } }
      conversation: { tags: { thread: string; history: string; closed: string } }
    }
  }
  user: { tags: { email: string; actor: string } }
}>

type Seen = {
  contexts: sdk.IntegrationContext<TinyIntegration>[]
  webhooks: sdk.Request[]
  messages: { type: string; payload: unknown; conversationId: string; userId: string; messageId: string }[]
}

const seen: Seen = { contexts: [], webhooks: [], messages: [] }

const tinyIntegration = new sdk.Integration<TinyIntegration>({
  register: async ({ ctx, client: bpClient, webhookUrl }) => {
    seen.contexts.push(ctx)
    await bpClient.setState({ type: 'integration', id: ctx.integrationId, name: 'setup', payload: { webhookUrl } })
  },
  unregister: async ({ ctx, client: bpClient }) => {
    await bpClient.setState({ type: 'integration', id: ctx.integrationId, name: 'setup', payload: null })
  },
  actions: {
    echo: async ({ input, ctx }) => ({ input, alias: ctx.integrationAlias, configuration: ctx.configuration }),
    fail: async () => {
      throw new sdk.RuntimeError('The inbox 1 does not exist')
    },
    notify: async ({ client: bpClient }) => {
      const { conversation } = await bpClient.createConversation({ channel: 'hitl', tags: {} })
      const { event } = await bpClient.createEvent({
        type: 'hitlStopped',
        payload: { conversationId: conversation.id },
      })
      return { eventId: event.id }
    },
    createUser: async ({ input, client: bpClient }) => {
      const { user } = await bpClient.getOrCreateUser({
        name: input.name,
        tags: { email: input.email },
        discriminateByTags: ['email'],
      })
      return { userId: user.id }
    },
    startHitl: async ({ input, client: bpClient }) => {
      const { conversation } = await bpClient.createConversation({
        channel: 'hitl',
        tags: { thread: `thread-${input.userId}`, history: String(input.messageHistory.length) },
      })
      return { conversationId: conversation.id }
    },
    stopHitl: async ({ input, client: bpClient }) => {
      await bpClient.updateConversation({ id: input.conversationId, tags: { closed: 'true' } })
      return {}
    },
  },
  channels: {
    hitl: {
      messages: {
        text: async ({ payload, conversation, user, message, ack }) => {
          seen.messages.push({
            type: 'text',
            payload,
            conversationId: conversation.id,
            userId: user.id,
            messageId: message.id,
          })
          await ack({ tags: { remoteId: `remote-${message.id}` } })
        },
      },
    },
  },
  handler: async ({ req, client: bpClient }): Promise<sdk.Response | void> => {
    seen.webhooks.push(req)
    if (req.path === '/oauth') {
      return { status: 302, headers: { location: 'https://app.hubspot.com/oauth/authorize?x=1' } }
    }
    if (req.path === '/oauth/claim') {
      return {
        status: 200,
        headers: { 'x-bp-integration-identifier': 'portal-7', 'x-bp-disable-interstitial': 'true' },
        body: 'claimed',
      }
    }
    if (req.path === '/crash') throw new Error('boom')
    if (req.path === '/unauthorized') return { status: 401, body: 'bad signature' }
    if (req.path === '/agent') {
      const { thread, text, close } = JSON.parse(req.body ?? '{}') as { thread: string; text?: string; close?: boolean }
      const { conversations } = await bpClient.listConversations({ channel: 'hitl', tags: { thread } })
      const conversationId = conversations[0].id
      if (close) {
        await bpClient.createEvent({ type: 'hitlStopped', payload: { conversationId } })
        return { status: 200 }
      }
      const { user } = await bpClient.getOrCreateUser({ name: 'Alice Agent', tags: { actor: 'A-1' } })
      await bpClient.createEvent({ type: 'hitlAssigned', payload: { conversationId, userId: user.id } })
      await bpClient.getOrCreateMessage({
        conversationId,
        userId: user.id,
        type: 'text',
        payload: { text: text ?? '' },
        tags: { remoteId: `hs-${text}` },
        discriminateByTags: ['remoteId'],
      })
      return { status: 200 }
    }
    return { status: 202, headers: { 'x-handled-by': 'tiny' }, body: JSON.stringify({ ok: true }) }
  },
})

describe('driver and webhook relay against an sdk.Integration over HTTP', () => {
  let integrationUrl: string
  let closeIntegration: () => Promise<void>
  let driver: IntegrationDriver

  beforeAll(async () => {
    const server = await tinyIntegration.start(0)
    if (!server.listening) await once(server, 'listening')
    integrationUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    closeIntegration = () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    driver = bp.connect({
      integrationUrl,
      configuration: { inboxId: '123', secret: 's3' },
      botId: BOT_ID,
      integrationId: 'int-tiny',
    })
  })

  afterAll(async () => {
    await closeIntegration?.()
  })

  beforeEach(() => {
    seen.contexts.length = 0
    seen.webhooks.length = 0
    seen.messages.length = 0
  })

  it('register sends the Botpress headers and the webhook URL; unregister and ping answer', async () => {
    await driver.register()
    expect(seen.contexts[0]).toMatchObject({
      botId: BOT_ID,
      botUserId: BOT_ID,
      integrationId: 'int-tiny',
      integrationAlias: 'hubspot-inbox-hitl',
      webhookId: driver.webhookId,
      operation: 'register',
      configurationType: null,
      configuration: { inboxId: '123', secret: 's3' },
    })
    expect(driver.webhookUrl).toBe(`${bp.webhookBaseUrl}/${driver.webhookId}`)
    expect(bp.store.findState('integration', 'int-tiny', 'setup')?.payload).toEqual({ webhookUrl: driver.webhookUrl })

    await driver.ping()
    await driver.unregister()
    expect(bp.store.findState('integration', 'int-tiny', 'setup')).toBeUndefined()
  })

  it('callAction returns the output and turns a RuntimeError into a DriverError', async () => {
    expect(await driver.callAction('echo', { a: 1 })).toEqual({
      input: { a: 1 },
      alias: 'hubspot-inbox-hitl',
      configuration: { inboxId: '123', secret: 's3' },
    })
    const error: unknown = await driver.callAction('fail', {}).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(DriverError)
    expect(error).toMatchObject({ status: 400, body: { type: 'Runtime', message: 'The inbox 1 does not exist' } })
  })

  it('sendMessage delivers message_created and returns the message with the ack tags', async () => {
    const { conversation } = await client.createConversation({ channel: 'hitl', tags: {} })
    const message = await driver.sendMessage({
      conversationId: conversation.id,
      type: 'text',
      payload: { text: 'hi', userId: 'u1' },
    })
    expect(seen.messages).toEqual([
      {
        type: 'text',
        payload: { text: 'hi', userId: 'u1' },
        conversationId: conversation.id,
        userId: BOT_ID,
        messageId: message.id,
      },
    ])
    expect(message).toMatchObject({ direction: 'outgoing', userId: BOT_ID, tags: { remoteId: `remote-${message.id}` } })
    expect(bp.calls.at(-1)).toMatchObject({ method: 'PUT', path: `/v1/chat/messages/${message.id}` })

    const error: unknown = await driver
      .sendMessage({ conversationId: conversation.id, type: 'image', payload: { imageUrl: 'x' } })
      .catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(DriverError)
  })

  it('the SDK retries a rate-limited call (Retry-After honoured) and the calls are recorded', async () => {
    bp.resetCalls()
    bp.faults.inject({
      method: 'POST',
      path: '/v1/chat/events',
      status: 429,
      count: 2,
      headers: { 'retry-after': '0' },
    })
    const output = (await driver.callAction('notify', {})) as { eventId: string }
    expect(bp.store.events.get(output.eventId)?.type).toBe('hitlStopped')
    expect(bp.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /v1/chat/conversations',
      'POST /v1/chat/events',
      'POST /v1/chat/events',
      'POST /v1/chat/events',
    ])
  })

  it('relays a webhook with the raw body, sub-path, query and lower-cased headers, and passes the answer through', async () => {
    bp.resetCalls()
    const rawBody = '{"b": 2,   "a":[1, 2 ]}'
    const response = await fetch(`${driver.webhookUrl}/events/hub?x=1&y=two`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-HubSpot-Signature-V3': 'sig==' },
      body: rawBody,
    })
    expect(response.status).toBe(202)
    expect(response.headers.get('x-handled-by')).toBe('tiny')
    expect(await response.json()).toEqual({ ok: true })
    expect(seen.webhooks).toHaveLength(1)
    expect(seen.webhooks[0]).toMatchObject({ method: 'POST', path: '/events/hub', query: 'x=1&y=two', body: rawBody })
    expect(seen.webhooks[0].headers['x-hubspot-signature-v3']).toBe('sig==')
    expect(seen.webhooks[0].headers['content-type']).toBe('application/json')
    expect(bp.calls).toEqual([])

    await fetch(driver.webhookUrl, { method: 'POST', body: '' })
    expect(seen.webhooks[1]).toMatchObject({ path: '/', query: '', body: '' })
  })

  it('relays GET with redirects, passes 4xx answers, turns failures into 500 and unknown webhooks into 404', async () => {
    const redirect = await fetch(`${driver.webhookUrl}/oauth?code=abc`, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe('https://app.hubspot.com/oauth/authorize?x=1')
    expect(seen.webhooks[0]).toMatchObject({ method: 'GET', path: '/oauth', query: 'code=abc' })
    expect(seen.webhooks[0].body).toBeUndefined()

    const unauthorized = await fetch(`${driver.webhookUrl}/unauthorized`, { method: 'POST', body: '{}' })
    expect(unauthorized.status).toBe(401)
    expect(await unauthorized.text()).toBe('bad signature')

    const crash = await fetch(`${driver.webhookUrl}/crash`, { method: 'POST', body: '{}' })
    expect(crash.status).toBe(500)

    const unknown = await fetch(`${bp.webhookBaseUrl}/no-such-webhook`, { method: 'POST', body: '{}' })
    expect(unknown.status).toBe(404)
  })

  it("Botpress's OAuth route shows its interstitial unless the answer disables it, and takes the identifier header as the claim", async () => {
    const plain = await fetch(`${bp.webhookBaseUrl}/oauth?state=${driver.webhookId}&code=abc`, { redirect: 'manual' })
    expect(plain.status).toBe(200)
    expect(plain.headers.get('location')).toBeNull()
    expect(await plain.text()).toContain('data-testid="botpress-interstitial"')

    const claimed = await fetch(`${bp.webhookBaseUrl}/oauth/claim?state=${driver.webhookId}`)
    expect(await claimed.text()).toBe('claimed')
    expect(bp.store.ownerOfIdentifier('portal-7')).toBe(driver.integrationId)
  })
})

describe('HitlBot behaves like the hitl plugin', () => {
  let closeIntegration: () => Promise<void>
  let driver: IntegrationDriver
  let bot: HitlBot

  beforeAll(async () => {
    const server = await tinyIntegration.start(0)
    if (!server.listening) await once(server, 'listening')
    closeIntegration = () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    driver = bp.connect({
      integrationUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      configuration: {},
      integrationId: 'int-hitl',
    })
    bot = new HitlBot(bp, driver)
  })

  afterAll(async () => {
    bot?.dispose()
    await closeIntegration?.()
  })

  const agent = (body: object): Promise<Response> =>
    fetch(`${driver.webhookUrl}/agent`, { method: 'POST', body: JSON.stringify(body) })

  it('escalates, forwards the customer, receives the agent and ends on hitlStopped', async () => {
    const streamed: string[] = []
    bot.on('upstreamMessage', (_session, message) => streamed.push(String(message.payload.text)))

    const session = await bot.escalate({
      customer: { name: 'Carol' },
      history: [
        { from: 'customer', type: 'text', payload: { text: 'I need help' } },
        { from: 'bot', type: 'text', payload: { text: 'Let me get someone' } },
      ],
      title: 'Refund',
    })
    const customer = bp.store.users.get(session.userId)
    expect(customer?.tags.email).toBe(`${session.upstreamUserId}@no-reply.${driver.botId}.botpress.com`)
    const conversation = bp.store.conversations.get(session.conversationId)
    expect(conversation).toMatchObject({ channel: 'hitl', integration: 'hubspot-inbox-hitl', tags: { history: '2' } })
    expect(bot.isActive(session)).toBe(true)

    const forwarded = await bot.customerSays(session, { type: 'text', payload: { text: 'Order 42' } })
    expect(forwarded).toMatchObject({ userId: driver.botId, payload: { text: 'Order 42', userId: session.userId } })
    await bot.notice(session, 'a notice')
    expect(bp.store.messages.get(forwarded.id)?.tags.remoteId).toBe(`remote-${forwarded.id}`)

    const thread = conversation?.tags.thread
    expect((await agent({ thread, text: 'Hello Carol' })).status).toBe(200)
    expect((await agent({ thread, text: 'Hello Carol' })).status).toBe(200)
    expect(bot.agentMessages(session).map((m) => m.payload.text)).toEqual(['Hello Carol'])
    expect(bot.status(session)).toMatchObject({ active: true, agentName: 'Alice Agent' })

    expect((await agent({ thread, close: true })).status).toBe(200)
    expect(bot.events(session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlAssigned', 'hitlStopped'])
    expect(bot.isActive(session)).toBe(false)
    expect(streamed).toContain('Hello Carol')
    await expect(bot.customerSays(session, { type: 'text', payload: { text: 'late' } })).rejects.toThrow(/ended/)
  })

  it('end sends the close notice, deactivates and calls stopHitl', async () => {
    const session = await bot.escalate({ customer: { name: 'Dan', email: 'dan@example.com' } })
    expect(bp.store.users.get(session.userId)?.tags.email).toBe('dan@example.com')
    await bot.end(session)
    expect(bot.isActive(session)).toBe(false)
    const downstream = bp.store.messagesOf(session.conversationId)
    expect(downstream.at(-1)?.payload).toEqual({ text: '( The user has ended the session. )' })
    expect(bp.store.conversations.get(session.conversationId)?.tags.closed).toBe('true')
  })
})
