import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  appWebhookEventSchema,
  channelSchema,
  contactSearchResponseSchema,
  errorEnvelopeSchema,
  fileSchema,
  messageSchema,
  outgoingMessageEventSchema,
  threadMessagesSchema,
  threadSchema,
  tokenResponseSchema,
} from '../../src/hubspot/schemas'
import { verifyV1OrV2, verifyV3 } from '../../src/hubspot/signature'
import { HUBSPOT_REDELIVERY_DELAYS_MS, startHubSpotStandIn, type HubSpotStandIn } from '../../testbed/hubspot'

type Received = { url: string; headers: IncomingHttpHeaders; body: string }

// A tiny webhook receiver: records every request and answers with queued statuses (200 by default).
const startReceiver = async () => {
  const received: Received[] = []
  const statuses: number[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url}`
      received.push({ url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(statuses.shift() ?? 200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    received,
    statuses,
    channelUrl: `${base}/hooks/channel?source=hubspot`,
    appUrl: `${base}/hooks/app`,
    at: (path: string) => received.filter((request) => new URL(request.url).pathname === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
type Receiver = Awaited<ReturnType<typeof startReceiver>>

const headerRecord = (headers: IncomingHttpHeaders): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value])
  )

const capabilities = {
  deliveryIdentifierTypes: ['CHANNEL_SPECIFIC_OPAQUE_ID', 'HS_PHONE_NUMBER', 'HS_EMAIL_ADDRESS'],
  threadingModel: 'INTEGRATION_THREAD_ID',
  allowOutgoingMessages: true,
  outgoingAttachmentTypes: ['FILE'],
  allowedFileAttachmentMimeTypes: ['image/*', 'application/pdf'],
  maxFileAttachmentCount: 1,
  maxFileAttachmentSizeBytes: 1_000_000,
  richText: ['HYPERLINK'],
}

let hs: HubSpotStandIn
let receiver: Receiver
let accessToken: string

const devKeyQuery = () => `hapikey=${hs.app.developerApiKey}&appId=${hs.app.appId}`

const refresh = async (refreshToken: string, clientSecret = hs.app.clientSecret) =>
  fetch(`${hs.url}/oauth/2026-03/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: hs.app.clientId,
      client_secret: clientSecret,
      refresh_token: refreshToken,
    }),
  })

const newAccessToken = async (refreshToken = hs.refreshToken): Promise<string> => {
  const response = await refresh(refreshToken)
  expect(response.status).toBe(200)
  return tokenResponseSchema.parse(await response.json()).access_token
}

const api = (path: string, init: RequestInit & { json?: unknown; token?: string } = {}) => {
  const { json, token, ...rest } = init
  const headers = new Headers(rest.headers)
  headers.set('Authorization', `Bearer ${token ?? accessToken}`)
  if (json !== undefined) headers.set('Content-Type', 'application/json')
  return fetch(`${hs.url}${path}`, { ...rest, headers, body: json === undefined ? rest.body : JSON.stringify(json) })
}

const createChannel = async (webhookUrl = receiver.channelUrl) => {
  const response = await fetch(`${hs.url}/conversations/v3/custom-channels?${devKeyQuery()}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Botpress', webhookUrl, capabilities }),
  })
  expect(response.status).toBe(201)
  return channelSchema.parse(await response.json())
}

const createAccount = async (channelId: string, inboxId = '1001') => {
  const response = await api(`/conversations/v3/custom-channels/${channelId}/channel-accounts`, {
    method: 'POST',
    json: {
      inboxId,
      name: 'Botpress',
      authorized: true,
      deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `bp-${inboxId}` },
    },
  })
  expect(response.status).toBe(201)
  return (await response.json()) as { id: string }
}

const publishIncoming = (channelId: string, channelAccountId: string, extra: Record<string, unknown> = {}) =>
  api(`/conversations/v3/custom-channels/${channelId}/messages`, {
    method: 'POST',
    json: {
      text: 'Hello, I need help',
      messageDirection: 'INCOMING',
      channelAccountId,
      integrationThreadId: 'session-1',
      senders: [{ deliveryIdentifier: { type: 'HS_PHONE_NUMBER', value: '+15145550100' }, name: 'Jane' }],
      ...extra,
    },
  })

// A channel, an account and one thread with an incoming message from Jane (contact 901).
const openThread = async (integrationThreadId: string) => {
  const channel = await createChannel()
  const account = await createAccount(channel.id)
  const response = await publishIncoming(channel.id, account.id, { integrationThreadId })
  expect(response.status).toBe(201)
  const message = messageSchema.parse(await response.json())
  return { channel, account, threadId: message.conversationsThreadId, message }
}

const appEvents = (path = '/hooks/app') =>
  receiver
    .at(path)
    .flatMap((request) => (JSON.parse(request.body) as unknown[]).map((event) => appWebhookEventSchema.parse(event)))

beforeAll(async () => {
  receiver = await startReceiver()
  hs = await startHubSpotStandIn({ webhookRetryDelaysMs: [50, 100], webhookTimeoutMs: 1000 })
  hs.setAppWebhookTarget(receiver.appUrl)
  accessToken = await newAccessToken()
})

afterEach(async () => {
  hs.faults.clear()
  await hs.settle()
  receiver.received.length = 0
  receiver.statuses.length = 0
})

afterAll(async () => {
  await hs.close()
  await receiver.close()
})

describe('[hubspot stand-in] OAuth', () => {
  it('refreshes a token: same refresh token back, hub id, scopes, configured expiry', async () => {
    const response = await refresh(hs.refreshToken)
    const body = tokenResponseSchema.parse(await response.json())
    expect(body).toMatchObject({
      refresh_token: hs.refreshToken,
      expires_in: 1800,
      token_type: 'bearer',
      hub_id: Number(hs.portalId),
    })
    expect(body.scopes).toContain('conversations.custom_channels.write')
    // The v1 token info is served until its removal on 2027-02-16, then answers 404.
    const today = hs.settings.today
    try {
      hs.settings.today = '2026-12-01'
      const info = await fetch(`${hs.url}/oauth/v1/access-tokens/${body.access_token}`)
      expect(await info.json()).toMatchObject({
        hub_id: Number(hs.portalId),
        app_id: Number(hs.app.appId),
        token_type: 'access',
      })
      expect((await fetch(`${hs.url}/oauth/v1/access-tokens/nope`)).status).toBe(404)
      hs.settings.today = '2027-02-16'
      expect((await fetch(`${hs.url}/oauth/v1/access-tokens/${body.access_token}`)).status).toBe(404)
    } finally {
      hs.settings.today = today
    }
  })

  it('rejects a bad or revoked refresh token and a wrong client secret with the merged error body', async () => {
    const bad = await refresh('na1-unknown')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      status: 'BAD_REFRESH_TOKEN',
      error: 'invalid_grant',
      correlationId: expect.any(String),
    })

    const revocable = hs.issueRefreshToken()
    await newAccessToken(revocable)
    hs.faults.revokeRefreshToken(revocable)
    expect(await (await refresh(revocable)).json()).toMatchObject({ status: 'BAD_REFRESH_TOKEN' })

    const wrongSecret = await refresh(hs.refreshToken, 'wrong-secret')
    expect(wrongSecret.status).toBe(400)
    expect(await wrongSecret.json()).toMatchObject({ status: 'BAD_CLIENT_ID', error: 'invalid_client' })
  })

  it('authorizes through a redirect with code and state, and the code works once', async () => {
    const redirectUri = 'https://bot.example/oauth/callback'
    const authorize = await fetch(
      `${hs.url}/oauth/authorize?client_id=${hs.app.clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=conversations.read%20files&state=xyz`,
      { redirect: 'manual' }
    )
    expect(authorize.status).toBe(302)
    const location = new URL(authorize.headers.get('location') ?? '')
    expect(location.origin + location.pathname).toBe(redirectUri)
    expect(location.searchParams.get('state')).toBe('xyz')
    const code = location.searchParams.get('code') ?? ''
    const exchange = () =>
      fetch(`${hs.url}/oauth/2026-03/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: hs.app.clientId,
          client_secret: hs.app.clientSecret,
          redirect_uri: redirectUri,
          code,
        }),
      })
    const first = tokenResponseSchema.parse(await (await exchange()).json())
    expect(first.scopes).toEqual(['conversations.read', 'files'])
    expect(await (await exchange()).json()).toMatchObject({ status: 'BAD_AUTH_CODE', error: 'invalid_grant' })

    hs.settings.denyAuthorize = true
    const denied = await fetch(
      `${hs.url}/oauth/authorize?client_id=${hs.app.clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=files`,
      { redirect: 'manual' }
    )
    hs.settings.denyAuthorize = false
    expect(new URL(denied.headers.get('location') ?? '').searchParams.get('error')).toBe('access_denied')
  })

  it('answers 401 EXPIRED_AUTHENTICATION for expired tokens and 403 MISSING_SCOPES for missing scopes', async () => {
    const doomed = await newAccessToken()
    hs.faults.expireAccessTokens()
    const expired = await api('/conversations/v3/conversations/inboxes', { token: doomed })
    expect(expired.status).toBe(401)
    expect(errorEnvelopeSchema.parse(await expired.json())).toMatchObject({
      status: 'error',
      category: 'EXPIRED_AUTHENTICATION',
    })
    accessToken = await newAccessToken()
    expect((await api('/conversations/v3/conversations/inboxes')).status).toBe(200)

    const limited = await newAccessToken(hs.issueRefreshToken({ scopes: ['conversations.read'] }))
    const forbidden = await api('/crm/v3/objects/contacts/901', { token: limited })
    expect(forbidden.status).toBe(403)
    const body = await forbidden.json()
    expect(body).toMatchObject({ category: 'MISSING_SCOPES' })
    expect(body.errors[0].context.requiredGranularScopes).toContain('crm.objects.contacts.read')

    const anonymous = await fetch(`${hs.url}/conversations/v3/conversations/inboxes`)
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ category: 'INVALID_AUTHENTICATION' })
  })
})

describe('[hubspot stand-in] custom channels and accounts', () => {
  it('needs the developer key (or a bearer) for channel CRUD and serves every path variant', async () => {
    const unauthenticated = await fetch(`${hs.url}/conversations/v3/custom-channels`, { method: 'POST', body: '{}' })
    expect(unauthenticated.status).toBe(401)
    expect(await unauthenticated.json()).toMatchObject({ category: 'INVALID_AUTHENTICATION' })
    const wrongApp = await fetch(`${hs.url}/conversations/v3/custom-channels?hapikey=${hs.app.developerApiKey}&appId=1`)
    expect(wrongApp.status).toBe(403)

    const channel = await createChannel()
    expect(channel).toMatchObject({ name: 'Botpress', webhookUrl: receiver.channelUrl })
    for (const prefix of [
      '/conversations/v3/custom-channels/',
      '/conversations/custom-channels/v3',
      '/conversations/custom-channels/2026-03',
    ]) {
      const list = await fetch(`${hs.url}${prefix}?${devKeyQuery()}&limit=100`)
      expect((await list.json()).results.map((c: { id: string }) => c.id)).toContain(channel.id)
    }
    const viaBearer = await api(`/conversations/v3/custom-channels/${channel.id}`)
    expect(viaBearer.status).toBe(200)

    const patched = await fetch(`${hs.url}/conversations/v3/custom-channels/${channel.id}?${devKeyQuery()}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Renamed' }),
    })
    expect(await patched.json()).toMatchObject({ id: channel.id, name: 'Renamed' })

    const invalid = await fetch(`${hs.url}/conversations/v3/custom-channels?${devKeyQuery()}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'x', capabilities: { threadingModel: 'BOGUS' } }),
    })
    expect(invalid.status).toBe(400)
    const invalidBody = errorEnvelopeSchema.parse(await invalid.json())
    expect(invalidBody.category).toBe('VALIDATION_ERROR')
    expect(invalidBody.errors?.length).toBeGreaterThan(0)

    const deleted = await fetch(`${hs.url}/conversations/v3/custom-channels/${channel.id}?${devKeyQuery()}`, {
      method: 'DELETE',
    })
    expect(deleted.status).toBe(204)
    const gone = await fetch(`${hs.url}/conversations/v3/custom-channels/${channel.id}?${devKeyQuery()}`)
    expect(gone.status).toBe(404)
    expect(await gone.json()).toMatchObject({ category: 'OBJECT_NOT_FOUND' })
    expect(hs.calls.some((call) => call.method === 'DELETE' && call.auth === 'hapikey' && call.status === 204)).toBe(
      true
    )
  })

  it('pages channel lists and hides new channels from the list for the next list calls', async () => {
    await createChannel()
    await createChannel()
    const firstPage = await (await fetch(`${hs.url}/conversations/v3/custom-channels?${devKeyQuery()}&limit=1`)).json()
    expect(firstPage.results).toHaveLength(1)
    const secondPage = await (
      await fetch(
        `${hs.url}/conversations/v3/custom-channels?${devKeyQuery()}&limit=1&after=${firstPage.paging.next.after}`
      )
    ).json()
    expect(secondPage.results[0].id).not.toBe(firstPage.results[0].id)

    hs.hideNewChannelsFromListFor(2)
    const hidden = await createChannel()
    hs.hideNewChannelsFromListFor(0)
    const listIds = async () =>
      (await (await fetch(`${hs.url}/conversations/v3/custom-channels?${devKeyQuery()}&limit=100`)).json()).results.map(
        (c: { id: string }) => c.id
      )
    expect(await listIds()).not.toContain(hidden.id)
    expect(await listIds()).not.toContain(hidden.id)
    expect(await listIds()).toContain(hidden.id)
  })

  it('creates channel accounts on existing inboxes only and tells the channel webhook', async () => {
    const channel = await createChannel()
    const account = await createAccount(channel.id, '1003')
    const badInbox = await api(`/conversations/v3/custom-channels/${channel.id}/channel-accounts`, {
      method: 'POST',
      json: { inboxId: '999', name: 'x', authorized: true },
    })
    expect(badInbox.status).toBe(400)
    expect((await badInbox.json()).message).toContain('Support (1001)')
    await hs.settle()
    const [event] = receiver.at('/hooks/channel').map((request) => JSON.parse(request.body))
    expect(event).toMatchObject({
      type: 'CHANNEL_ACCOUNT_CREATED',
      channelId: channel.id,
      channelAccountId: account.id,
      portalId: hs.portalId,
    })
  })
})

describe('[hubspot stand-in] publishing messages', () => {
  it('creates a thread from an INCOMING message, matches the contact by phone digits, dedupes by idempotency id', async () => {
    const channel = await createChannel()
    const account = await createAccount(channel.id)
    const first = await publishIncoming(channel.id, account.id, { integrationIdempotencyId: 'bp-msg-1' })
    expect(first.status).toBe(201)
    const message = messageSchema.parse(await first.json())
    expect(message).toMatchObject({
      direction: 'INCOMING',
      createdBy: 'V-901',
      status: { statusType: 'RECEIVED' },
      client: { clientType: 'INTEGRATION' },
    })

    const repeat = await publishIncoming(channel.id, account.id, {
      integrationIdempotencyId: 'bp-msg-1',
      text: 'changed',
    })
    expect(repeat.status).toBe(200)
    expect((await repeat.json()).id).toBe(message.id)
    const second = messageSchema.parse(await (await publishIncoming(channel.id, account.id, { text: 'Second' })).json())
    expect(second.conversationsThreadId).toBe(message.conversationsThreadId)
    expect(hs.portal.messages.get(String(message.conversationsThreadId))).toHaveLength(2)

    const thread = threadSchema.parse(
      await (await api(`/conversations/v3/conversations/threads/${message.conversationsThreadId}`)).json()
    )
    expect(thread).toMatchObject({
      status: 'OPEN',
      inboxId: '1001',
      associatedContactId: '901',
      originalChannelId: channel.id,
    })

    await hs.settle()
    const events = appEvents().filter((event) => event.objectId === thread.id)
    expect(events.map((event) => event.subscriptionType)).toEqual([
      'conversation.creation',
      'conversation.newMessage',
      'conversation.newMessage',
    ])
    const batch = receiver.at('/hooks/app')[0]
    expect(
      verifyV1OrV2({
        secret: hs.app.clientSecret,
        method: 'POST',
        uri: batch.url,
        body: batch.body,
        headers: headerRecord(batch.headers),
      })
    ).toEqual({ ok: true, version: 'v1' })
    expect(
      verifyV3({
        secret: hs.app.clientSecret,
        method: 'POST',
        uri: batch.url,
        body: batch.body,
        headers: headerRecord(batch.headers),
      }).ok
    ).toBe(true)
  })

  it('makes an unmatched sender a visitor and rejects invalid bodies and foreign accounts', async () => {
    const channel = await createChannel()
    const account = await createAccount(channel.id)
    const visitor = messageSchema.parse(
      await (
        await publishIncoming(channel.id, account.id, {
          integrationThreadId: 'anon',
          senders: [{ deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: 'user-42' }, name: 'Anon' }],
        })
      ).json()
    )
    expect(visitor.createdBy).toMatch(/^V-\d+$/)
    expect(visitor.createdBy).not.toBe('V-901')
    const actor = await (await api(`/conversations/v3/conversations/actors/${visitor.createdBy}`)).json()
    expect(actor).toMatchObject({ type: 'VISITOR', name: 'Anon' })

    const invalid = await publishIncoming(channel.id, account.id, { senders: [] })
    expect(invalid.status).toBe(400)
    expect(await invalid.json()).toMatchObject({
      category: 'VALIDATION_ERROR',
      errors: [expect.objectContaining({ in: 'senders' })],
    })

    const other = await createChannel()
    const foreign = await publishIncoming(other.id, account.id)
    expect(foreign.status).toBe(400)
  })
})

describe('[hubspot stand-in] the agent side', () => {
  it('delivers an agent reply as a v3-signed OUTGOING_CHANNEL_MESSAGE_CREATED, then takes status updates in both shapes', async () => {
    const { channel, account, threadId } = await openThread('session-reply')
    await hs.settle()
    receiver.received.length = 0

    const reply = hs.agent.reply(threadId, { actorId: 'A-111', text: "Hi, I'm Ann" })
    expect(reply.status).toEqual({ statusType: 'SENT' }) // as in HubSpot's published example, before any report
    await hs.settle()
    const [request] = receiver.at('/hooks/channel')
    expect(request.headers['content-type']).toBe('application/json')
    expect(
      verifyV3({
        secret: hs.app.clientSecret,
        method: 'POST',
        uri: receiver.channelUrl,
        body: request.body,
        headers: headerRecord(request.headers),
      })
    ).toEqual({
      ok: true,
      version: 'v3',
    })
    const event = outgoingMessageEventSchema.parse(JSON.parse(request.body))
    expect(JSON.parse(request.body)).toMatchObject({
      portalId: hs.portalId,
      channelId: channel.id,
      channelAccountId: account.id,
      eventId: expect.any(String),
    })
    expect(event.channelIntegrationThreadIds).toEqual(['session-reply'])
    expect(event.message).toMatchObject({
      id: reply.id,
      direction: 'OUTGOING',
      text: "Hi, I'm Ann",
      senders: [{ actorId: 'A-111', name: 'Ann Agent' }],
    })
    expect(event.message.recipients[0].actorId).toBe('V-901')

    const messagePath = `/conversations/v3/custom-channels/${channel.id}/messages/${reply.id}`
    const sent = await api(messagePath, { method: 'PATCH', json: { statusType: 'SENT' } })
    expect(messageSchema.parse(await sent.json()).status?.statusType).toBe('SENT')
    const failed = await api(messagePath, {
      method: 'PATCH',
      json: {
        status: {
          statusType: 'FAILED',
          timestamp: new Date().toISOString(),
          failureDetails: { errorMessage: 'user blocked the bot' },
        },
      },
    })
    expect((await failed.json()).status).toMatchObject({
      statusType: 'FAILED',
      failureDetails: { errorMessage: 'user blocked the bot' },
    })
    expect(messageSchema.parse(await (await api(messagePath)).json()).status?.statusType).toBe('FAILED')
  })

  it('attaches agent files that download only with a bearer token', async () => {
    const { threadId } = await openThread('session-files')
    const reply = hs.agent.reply(threadId, {
      actorId: 'A-222',
      files: [{ name: 'photo.png', contentType: 'image/png', data: Buffer.from('png-bytes') }],
    })
    const [attachment] = reply.attachments
    expect(attachment).toMatchObject({ type: 'FILE', name: 'photo.png', fileUsageType: 'IMAGE' })
    const url = attachment.type === 'FILE' ? attachment.url : ''
    expect(url.startsWith(hs.url)).toBe(true)
    expect((await fetch(url)).status).toBe(401)
    const download = await api(url.slice(hs.url.length))
    expect(download.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('png-bytes')
    expect(() =>
      hs.agent.reply(threadId, {
        actorId: 'A-222',
        files: [{ name: 'a.zip', contentType: 'application/zip', data: Buffer.from('z') }],
      })
    ).toThrow(/does not accept application\/zip/)
  })

  it('assigns and closes with propertyChange webhooks and timeline entries; an API close of a closed thread is a no-op', async () => {
    const { threadId } = await openThread('session-close')
    hs.agent.assign(threadId, 'A-111')
    hs.agent.close(threadId)
    await hs.settle()
    const changes = appEvents().filter(
      (event) => event.objectId === threadId && event.subscriptionType === 'conversation.propertyChange'
    )
    expect(changes.map((event) => [event.propertyName, event.propertyValue])).toEqual([
      ['assignedTo', '111'],
      ['status', 'CLOSED'],
    ])

    const again = await api(`/conversations/v3/conversations/threads/${threadId}`, {
      method: 'PATCH',
      json: { status: 'CLOSED' },
    })
    expect(await again.json()).toMatchObject({ status: 'CLOSED', assignedTo: 'A-111' })
    await hs.settle()
    expect(appEvents().filter((event) => event.objectId === threadId && event.propertyName === 'status')).toHaveLength(
      1
    )

    const timeline = threadMessagesSchema.parse(
      await (await api(`/conversations/v3/conversations/threads/${threadId}/messages`)).json()
    )
    expect(timeline.results.map((entry) => entry.type)).toEqual(['MESSAGE', 'ASSIGNMENT', 'THREAD_STATUS_CHANGE'])
    const newestFirst = await (
      await api(`/conversations/v3/conversations/threads/${threadId}/messages?sort=-createdAt&limit=1`)
    ).json()
    expect(newestFirst.results[0]).toMatchObject({ type: 'THREAD_STATUS_CHANGE', newStatus: 'CLOSED' })
    expect(newestFirst.paging.next.after).toBeDefined()

    hs.settings.assignedToFormat = 'prefixed'
    hs.agent.assign(threadId, 'A-222')
    hs.settings.assignedToFormat = 'bare'
    await hs.settle()
    expect(appEvents().find((event) => event.objectId === threadId && event.propertyValue === 'A-222')).toBeDefined()
  })

  it('hides a deleted (archived) thread from a read without archived=true, as HubSpot does', async () => {
    const { threadId } = await openThread('session-delete')
    hs.agent.delete(threadId)
    await hs.settle()
    expect(
      appEvents()
        .filter((event) => event.objectId === threadId)
        .map((event) => event.subscriptionType)
    ).toContain('conversation.deletion')
    const hidden = await api(`/conversations/v3/conversations/threads/${threadId}`)
    expect(hidden.status).toBe(404)
    const shown = await api(`/conversations/v3/conversations/threads/${threadId}?archived=true`)
    expect(shown.status).toBe(200)
    expect(threadSchema.parse(await shown.json())).toMatchObject({ id: threadId, archived: true })
  })

  it('is drivable over the control API with CORS headers', async () => {
    const { threadId } = await openThread('session-control')
    const reply = await fetch(`${hs.url}/_testbed/threads/${threadId}/reply`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        actorId: 'A-111',
        text: 'From the sandbox',
        files: [{ name: 'doc.pdf', contentType: 'application/pdf', base64: Buffer.from('%PDF').toString('base64') }],
      }),
    })
    expect(reply.status).toBe(201)
    expect(reply.headers.get('access-control-allow-origin')).toBe('*')
    const threads = await (await fetch(`${hs.url}/_testbed/threads`)).json()
    const thread = threads.find((candidate: { id: string }) => candidate.id === threadId)
    expect(thread.messages.map((entry: { text?: string }) => entry.text)).toEqual([
      'Hello, I need help',
      'From the sandbox',
    ])
    const preflight = await fetch(`${hs.url}/_testbed/faults`, { method: 'OPTIONS' })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
  })
})

describe('[hubspot stand-in] HubSpot’s redelivery schedule', () => {
  it('by default delivers a refused webhook again after 2 minutes, then 4, 8, …, 10 times in about a day', () => {
    expect(HUBSPOT_REDELIVERY_DELAYS_MS).toHaveLength(10)
    expect(HUBSPOT_REDELIVERY_DELAYS_MS.slice(0, 4)).toEqual([120_000, 240_000, 480_000, 960_000])
    const total = HUBSPOT_REDELIVERY_DELAYS_MS.reduce((sum, delay) => sum + delay, 0)
    expect(total).toBeGreaterThan(20 * 3_600_000)
    expect(total).toBeLessThan(26 * 3_600_000)
  })

  it('waits for the schedule (or a test advancing it), and never redelivers an answer that says the request is wrong', async () => {
    const real = await startHubSpotStandIn()
    try {
      expect(real.settings.webhookRetryDelaysMs).toEqual(HUBSPOT_REDELIVERY_DELAYS_MS)
      const { threadId } = await openThread('session-schedule')
      await hs.settle()
      hs.settings.webhookRetryDelaysMs = HUBSPOT_REDELIVERY_DELAYS_MS
      hs.resetDeliveries()
      receiver.statuses.push(503)
      hs.agent.close(threadId)
      while (hs.deliveries.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(hs.pendingRedeliveries()).toBe(1)
      expect(hs.redeliverNow()).toBe(1)
      await hs.settle()
      expect(hs.deliveries.map((delivery) => [delivery.status, delivery.attempt])).toEqual([
        [503, 0],
        [200, 1],
      ])
      hs.resetDeliveries()
      receiver.statuses.push(400)
      hs.agent.reopen(threadId)
      hs.agent.close(threadId)
      await hs.settle()
      expect(hs.deliveries.filter((delivery) => delivery.status === 400)).toHaveLength(1)
      expect(hs.pendingRedeliveries()).toBe(0)
    } finally {
      hs.settings.webhookRetryDelaysMs = [50, 100]
      await real.close()
    }
  })
})

describe('[hubspot stand-in] webhook delivery faults', () => {
  it('redelivers a failed app webhook with an incremented attemptNumber', async () => {
    const { threadId } = await openThread('session-retry')
    await hs.settle()
    hs.resetDeliveries()
    receiver.received.length = 0
    receiver.statuses.push(500, 503)
    hs.agent.close(threadId)
    await hs.settle()
    const attempts = hs.deliveries.filter((delivery) => delivery.kind === 'app')
    expect(attempts.map((delivery) => [delivery.status, delivery.attempt])).toEqual([
      [500, 0],
      [503, 1],
      [200, 2],
    ])
    expect(receiver.at('/hooks/app').map((request) => JSON.parse(request.body)[0].attemptNumber)).toEqual([0, 1, 2])
  })

  it('redelivers after a network error or a receiver that does not answer in time, then gives up', async () => {
    const hanging = createServer(() => undefined)
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`
    const quick = await startHubSpotStandIn({ webhookRetryDelaysMs: [20], webhookTimeoutMs: 100 })
    try {
      const token = tokenResponseSchema.parse(
        await (
          await fetch(`${quick.url}/oauth/2026-03/token`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              client_id: quick.app.clientId,
              client_secret: quick.app.clientSecret,
              refresh_token: quick.refreshToken,
            }),
          })
        ).json()
      ).access_token
      for (const webhookUrl of [hangingUrl, 'http://127.0.0.1:9/closed']) {
        const channel = await (
          await fetch(
            `${quick.url}/conversations/v3/custom-channels?hapikey=${quick.app.developerApiKey}&appId=${quick.app.appId}`,
            {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ name: 'x', webhookUrl, capabilities }),
            }
          )
        ).json()
        await fetch(`${quick.url}/conversations/v3/custom-channels/${channel.id}/channel-accounts`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ inboxId: '1001', name: 'x', authorized: true }),
        })
      }
      await quick.settle()
      const attempts = (url: string) =>
        quick.deliveries
          .filter((delivery) => delivery.url === url)
          .map((delivery) => [delivery.status, delivery.attempt])
      expect(attempts(hangingUrl)).toEqual([
        [null, 0],
        [null, 1],
      ])
      expect(quick.deliveries.find((delivery) => delivery.url === hangingUrl)?.error).toMatch(/no answer within 100 ms/)
      expect(attempts('http://127.0.0.1:9/closed')).toEqual([
        [null, 0],
        [null, 1],
      ])
    } finally {
      await quick.close()
      hanging.closeAllConnections()
      await new Promise<void>((resolve) => hanging.close(() => resolve()))
    }
  })

  it('duplicates and reorders deliveries on demand', async () => {
    const { threadId } = await openThread('session-dup')
    await hs.settle()
    receiver.received.length = 0
    hs.faults.webhooks({ duplicateNext: 1 })
    hs.agent.reply(threadId, { actorId: 'A-111', text: 'once' })
    await hs.settle()
    const copies = receiver.at('/hooks/channel')
    expect(copies).toHaveLength(2)
    expect(copies[1].body).toBe(copies[0].body)

    receiver.received.length = 0
    const before = hs.faults.count
    // Each reply makes a channel delivery and an app delivery: hold all eight.
    hs.faults.webhooks({ reorderNext: 8 })
    for (const text of ['one', 'two', 'three', 'four']) hs.agent.reply(threadId, { actorId: 'A-111', text })
    await hs.settle()
    const order = receiver.at('/hooks/channel').map((request) => JSON.parse(request.body).message.text)
    expect([...order].sort()).toEqual(['four', 'one', 'three', 'two'])
    expect(order).not.toEqual(['one', 'two', 'three', 'four'])
    expect(hs.faults.count - before).toBe(8)
  })
})

describe('[hubspot stand-in] API faults and rate limits', () => {
  it('injects 429 with and without Retry-After, and 5xx envelopes', async () => {
    hs.faults.inject({ path: '/inboxes', status: 429, count: 1, retryAfterSeconds: 2 })
    hs.faults.inject({ path: '/inboxes', status: 429, count: 1, policyName: 'SECONDLY' })
    hs.faults.inject({ method: 'GET', path: /inboxes$/, status: 502, count: 1 })
    const before = hs.faults.count
    const first = await api('/conversations/v3/conversations/inboxes')
    expect(first.status).toBe(429)
    expect(first.headers.get('retry-after')).toBe('2')
    expect(await first.json()).toMatchObject({
      status: 'error',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
      message: 'You have reached your ten_secondly_rolling limit.',
    })
    const second = await api('/conversations/v3/conversations/inboxes')
    expect(second.headers.get('retry-after')).toBeNull()
    expect(await second.json()).toMatchObject({
      policyName: 'SECONDLY',
      message: 'You have reached your secondly limit.',
    })
    const third = await api('/conversations/v3/conversations/inboxes')
    expect(third.status).toBe(502)
    expect(errorEnvelopeSchema.parse(await third.json())).toMatchObject({
      status: 'error',
      correlationId: expect.any(String),
    })
    const fourth = await api('/conversations/v3/conversations/inboxes')
    expect(fourth.status).toBe(200)
    expect((await fourth.json()).results.map((inbox: { name: string }) => inbox.name)).toEqual([
      'Support',
      'Sales',
      'Help desk',
    ])
    expect(hs.faults.count - before).toBe(3)

    hs.faults.latency(150, { path: '/inboxes' })
    const startedAt = Date.now()
    expect((await api('/conversations/v3/conversations/inboxes')).status).toBe(200)
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140)
  })

  it('limits bearer calls per 10 s and CRM search per second', async () => {
    const limited = await startHubSpotStandIn()
    try {
      limited.settings.rateLimitPer10s = 3
      const token = tokenResponseSchema.parse(
        await (
          await fetch(`${limited.url}/oauth/2026-03/token`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              client_id: limited.app.clientId,
              client_secret: limited.app.clientSecret,
              refresh_token: limited.refreshToken,
            }),
          })
        ).json()
      ).access_token
      const call = (path: string, init: RequestInit = {}) =>
        fetch(`${limited.url}${path}`, {
          ...init,
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        })
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await call('/conversations/v3/conversations/inboxes')).status)
      expect(statuses).toEqual([200, 200, 200, 429])

      limited.settings.rateLimitPer10s = 1000
      const search = () =>
        call('/crm/v3/objects/contacts/search', {
          method: 'POST',
          body: JSON.stringify({ filterGroups: [], properties: [], sorts: [], limit: 1, after: '0' }),
        })
      const searches = await Promise.all(Array.from({ length: 6 }, search))
      const throttled = searches.filter((response) => response.status === 429)
      expect(throttled).toHaveLength(1)
      expect(await throttled[0].json()).toMatchObject({
        policyName: 'SECONDLY',
        message: 'You have reached your secondly limit.',
      })
    } finally {
      await limited.close()
    }
  })
})

describe('[hubspot stand-in] CRM contacts', () => {
  const search = (filterGroups: unknown, properties = ['email', 'phone']) =>
    api('/crm/objects/2026-03/contacts/search', {
      method: 'POST',
      json: { filterGroups, properties, sorts: [], limit: 10, after: '0' },
    })
  const ids = async (response: Response) =>
    contactSearchResponseSchema.parse(await response.json()).results.map((contact) => contact.id)

  it('searches with EQ on email, exact phone and digit-normalised phone, OR across groups', async () => {
    expect(
      await ids(await search([{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'JANE.DOE@example.com' }] }]))
    ).toEqual(['901'])
    expect(
      await ids(await search([{ filters: [{ propertyName: 'phone', operator: 'EQ', value: '+15145550100' }] }]))
    ).toEqual([])
    expect(
      await ids(
        await search([
          {
            filters: [
              { propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: '+1 (514) 555-0100' },
            ],
          },
        ])
      )
    ).toEqual(['901'])
    const either = await search([
      { filters: [{ propertyName: 'email', operator: 'EQ', value: 'jane.doe@example.com' }] },
      { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: '+1 (438) 555-0142' }] },
    ])
    expect(await ids(either)).toEqual(['901', '902'])
    const both = await search([
      {
        filters: [
          { propertyName: 'email', operator: 'EQ', value: 'jane.doe@example.com' },
          { propertyName: 'firstname', operator: 'EQ', value: 'John' },
        ],
      },
    ])
    expect(await ids(both)).toEqual([])
  })

  it("refuses a search body without the fields HubSpot's schema requires", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)) // past the previous test's searches (5 per second)
    const response = await api('/crm/objects/2026-03/contacts/search', {
      method: 'POST',
      json: { filterGroups: [], properties: ['email'] },
    })
    expect(response.status).toBe(400)
  })

  it('creates contacts, refuses a duplicate email with 409, returns only requested properties', async () => {
    const created = await api('/crm/v3/objects/contacts', {
      method: 'POST',
      json: { properties: { email: 'new@example.com', firstname: 'New' } },
    })
    expect(created.status).toBe(201)
    const { id } = await created.json()
    const duplicate = await api('/crm/v3/objects/contacts', {
      method: 'POST',
      json: { properties: { email: 'NEW@example.com' } },
    })
    expect(duplicate.status).toBe(409)
    expect(await duplicate.json()).toMatchObject({
      category: 'CONFLICT',
      message: `Contact already exists. Existing ID: ${id}`,
    })
    const read = await (await api(`/crm/v3/objects/contacts/${id}?properties=firstname,phone`)).json()
    expect(read.properties).toEqual({
      firstname: 'New',
      phone: null,
      hs_object_id: id,
      createdate: expect.any(String),
      lastmodifieddate: expect.any(String),
    })
    expect((await api('/crm/v3/objects/contacts/424242')).status).toBe(404)
  })
})

describe('[hubspot stand-in] files', () => {
  const upload = (path: string, access: string, fields: Record<string, string> = { folderPath: '/botpress' }) => {
    const form = new FormData()
    form.append('file', new Blob([Buffer.from('hello file')], { type: 'text/plain' }), 'note.txt')
    form.append('options', JSON.stringify({ access }))
    for (const [key, value] of Object.entries(fields)) form.append(key, value)
    return api(path, { method: 'POST', body: form })
  }

  it('uploads multipart, serves the bytes (bearer or signed URL for private files), and supports the legacy endpoint', async () => {
    const response = await upload('/files/v3/files', 'PRIVATE')
    expect(response.status).toBe(201)
    const file = fileSchema.parse(await response.json())
    expect(file).toMatchObject({ name: 'note', extension: 'txt', size: 10, access: 'PRIVATE' })
    const url = String(file.url)
    expect((await fetch(url)).status).toBe(401)
    expect(await (await api(url.slice(hs.url.length))).text()).toBe('hello file')
    const signed = await (await api(`/files/v3/files/${file.id}/signed-url`)).json()
    expect(await (await fetch(signed.url)).text()).toBe('hello file')
    expect((await api(`/files/v3/files/${file.id}`)).status).toBe(200)

    const publicFile = fileSchema.parse(await (await upload('/files/v3/files', 'PUBLIC_NOT_INDEXABLE')).json())
    expect((await fetch(String(publicFile.url))).status).toBe(200)

    const legacy = await upload('/filemanager/api/v3/files/upload', 'PRIVATE', {})
    const legacyBody = await legacy.json()
    expect(typeof legacyBody.objects[0].id).toBe('number')
    expect(hs.portal.files.get(String(legacyBody.objects[0].id))?.data.toString()).toBe('hello file')

    const noFolder = await upload('/files/v3/files', 'PRIVATE', {})
    expect(noFolder.status).toBe(400)
    const badOptions = await upload('/files/v3/files', 'EVERYONE')
    expect(await badOptions.json()).toMatchObject({ category: 'VALIDATION_ERROR' })
  })

  it('an upload meeting a file of the same name in its folder is renamed, as HubSpot does without overwrite; overwrite replaces it', async () => {
    const first = fileSchema.parse(await (await upload('/files/v3/files', 'PRIVATE', { folderPath: '/twice' })).json())
    const second = fileSchema.parse(await (await upload('/files/v3/files', 'PRIVATE', { folderPath: '/twice' })).json())
    const elsewhere = fileSchema.parse(
      await (await upload('/files/v3/files', 'PRIVATE', { folderPath: '/other' })).json()
    )
    expect([first.name, second.name, elsewhere.name]).toEqual(['note', 'note-1', 'note'])
    const form = new FormData()
    form.append('file', new Blob([Buffer.from('new note')], { type: 'text/plain' }), 'note.txt')
    form.append('options', JSON.stringify({ access: 'PRIVATE', overwrite: true }))
    form.append('folderPath', '/twice')
    const replaced = fileSchema.parse(await (await api('/files/v3/files', { method: 'POST', body: form })).json())
    expect(replaced.name).toBe('note')
    expect(hs.portal.files.get(first.id)?.archived).toBe(true)
  })

  it('publishes a message whose FILE attachment points at an uploaded file', async () => {
    const { channel, account } = await openThread('session-attach')
    const file = fileSchema.parse(await (await upload('/files/v3/files', 'PRIVATE', { folderPath: '/attach' })).json())
    const published = messageSchema.parse(
      await (
        await publishIncoming(channel.id, account.id, {
          integrationThreadId: 'session-attach',
          text: '',
          attachments: [{ type: 'FILE', fileId: file.id }],
        })
      ).json()
    )
    expect(published.attachments[0]).toMatchObject({
      type: 'FILE',
      fileId: file.id,
      name: 'note.txt',
      fileUsageType: 'OTHER',
      url: file.url,
    })
    const missing = await publishIncoming(channel.id, account.id, { attachments: [{ type: 'FILE', fileId: '1' }] })
    expect(missing.status).toBe(400)
  })
})
