// The client and the HubSpot stand-in share src/hubspot/schemas.ts. These tests call every client
// function against the stand-in: each request must pass the stand-in's validation (else 400) and
// each response the client's schema (else the call throws), so neither side can drift alone.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HubSpotApiError } from '../../src/hubspot/api-error'
import * as contacts from '../../src/hubspot/contacts'
import * as conversations from '../../src/hubspot/conversations'
import * as channels from '../../src/hubspot/custom-channels'
import { uploadFile } from '../../src/hubspot/files'
import { HubSpotHttp } from '../../src/hubspot/http'
import { introspectToken, requestTokenWithRefreshToken, revokeRefreshToken } from '../../src/hubspot/oauth'
import { appWebhookEventSchema, outgoingMessageEventSchema } from '../../src/hubspot/schemas'
import { verifyHubSpotRequest } from '../../src/hubspot/signature'
import * as webhookSettings from '../../src/hubspot/webhook-settings'
import { silentLogger } from '../../src/log'
import { startHubSpotStandIn } from '../../testbed/hubspot'

let hs: Awaited<ReturnType<typeof startHubSpotStandIn>>
let http: HubSpotHttp
let receiver: Server
let receiverUrl: string
const received: { body: string; headers: Record<string, string | undefined>; url: string }[] = []

beforeAll(async () => {
  hs = await startHubSpotStandIn({ webhookRetryDelaysMs: [] })
  const token = await requestTokenWithRefreshToken(
    new HubSpotHttp({ baseUrl: hs.url, budgetMs: 2000, baseDelayMs: 10, timeoutMs: 5000, logger: silentLogger }),
    hs.app,
    hs.refreshToken
  )
  http = new HubSpotHttp({
    baseUrl: hs.url,
    budgetMs: 2000,
    baseDelayMs: 10,
    timeoutMs: 5000,
    logger: silentLogger,
    tokens: { get: async () => token.access_token, invalidate: () => undefined },
    developer: { apiKey: hs.app.developerApiKey, appId: hs.app.appId },
  })
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      received.push({
        body,
        headers: req.headers as Record<string, string | undefined>,
        url: `${new URL(receiverUrl).origin}${req.url}`,
      })
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
})
afterAll(async () => {
  await hs.close()
  await new Promise<void>((resolve) => receiver.close(() => resolve()))
})

describe('client ↔ HubSpot stand-in', () => {
  it('[oauth-2026] OAuth: token, introspection, revocation', async () => {
    const token = await requestTokenWithRefreshToken(http, hs.app, hs.refreshToken)
    const info = await introspectToken(http, hs.app, token.access_token)
    expect(info).toMatchObject({ active: true, token_use: 'access_token' })
    expect(String(info.hub_id)).toBe(hs.portalId)
    expect(String(info.app_id)).toBe(hs.app.appId)
    expect(info.scopes).toContain('conversations.custom_channels.write')

    const spare = hs.issueRefreshToken()
    expect(await introspectToken(http, hs.app, spare, 'refresh_token')).toMatchObject({
      active: true,
      token_use: 'refresh_token',
    })
    await revokeRefreshToken(http, hs.app, spare)
    expect(await introspectToken(http, hs.app, spare, 'refresh_token')).toEqual({ active: false })
    expect(hs.calls.some((c) => c.path.includes(token.access_token) || c.path.includes(spare))).toBe(false)
  })

  it('custom channels, accounts, publish, status, thread timeline, close', async () => {
    const created = await channels.createChannel(http, {
      name: 'Contract',
      webhookUrl: receiverUrl,
      capabilities: {
        deliveryIdentifierTypes: ['CHANNEL_SPECIFIC_OPAQUE_ID', 'HS_EMAIL_ADDRESS'],
        threadingModel: 'INTEGRATION_THREAD_ID',
        allowOutgoingMessages: true,
        outgoingAttachmentTypes: ['FILE'],
        allowedFileAttachmentMimeTypes: ['image/*'],
      },
    })
    expect((await channels.getChannel(http, created.id)).webhookUrl).toBe(receiverUrl)
    expect((await channels.listChannels(http)).map((c) => c.id)).toContain(created.id)

    const account = await channels.createChannelAccount(http, created.id, {
      inboxId: '1001',
      name: 'Contract',
      authorized: true,
      deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: 'contract-1001' },
    })
    expect((await channels.listChannelAccounts(http, created.id)).map((a) => a.id)).toContain(account.id)

    const file = await uploadFile(http, { name: 'photo.png', contentType: 'image/png', data: Buffer.from('png') })
    const message = await channels.publishMessage(http, created.id, {
      text: 'Hello',
      messageDirection: 'INCOMING',
      channelAccountId: account.id,
      integrationThreadId: 'contract-thread',
      integrationIdempotencyId: 'contract-1',
      timestamp: new Date().toISOString(),
      senders: [{ deliveryIdentifier: { type: 'HS_EMAIL_ADDRESS', value: 'jane.doe@example.com' }, name: 'Jane' }],
      recipients: [{ deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: 'contract-1001' } }],
      attachments: [{ type: 'FILE', fileId: file.id, fileUsageType: 'IMAGE' }],
      associateWithContactId: 901,
    })
    const again = await channels.publishMessage(http, created.id, {
      text: 'Hello',
      messageDirection: 'INCOMING',
      channelAccountId: account.id,
      integrationThreadId: 'contract-thread',
      integrationIdempotencyId: 'contract-1',
      senders: [{ deliveryIdentifier: { type: 'HS_EMAIL_ADDRESS', value: 'jane.doe@example.com' } }],
    })
    expect(again.id).toBe(message.id)

    const threadId = message.conversationsThreadId
    const reply = hs.agent.reply(threadId, { actorId: 'A-111', text: 'Agent here' })
    await channels.updateMessageStatus(http, created.id, reply.id, { statusType: 'SENT' })
    const timeline = await conversations.listThreadMessages(http, threadId, { newestFirst: true })
    expect(timeline.results.map((entry) => entry.id)).toEqual(expect.arrayContaining([message.id, reply.id]))
    expect((await conversations.setThreadStatus(http, threadId, 'CLOSED')).status).toBe('CLOSED')

    expect((await conversations.getActor(http, 'A-111')).name).toBe('Ann Agent')
    expect((await conversations.listInboxes(http)).map((i) => i.id)).toEqual(['1001', '1002', '1003'])

    await hs.settle()
    const outgoing = received
      .map((r) => JSON.parse(r.body) as { type?: string })
      .filter((e) => e.type === 'OUTGOING_CHANNEL_MESSAGE_CREATED')
    expect(outgoing).toHaveLength(1)
    expect(outgoingMessageEventSchema.parse(outgoing[0]).channelIntegrationThreadIds).toEqual(['contract-thread'])
    for (const delivery of received) {
      expect(
        verifyHubSpotRequest({
          secret: hs.app.clientSecret,
          method: 'POST',
          uri: delivery.url,
          body: delivery.body,
          headers: delivery.headers,
          allowV1: false,
        }).ok
      ).toBe(true)
    }

    await channels.deleteChannel(http, created.id)
    await expect(channels.getChannel(http, created.id)).rejects.toBeInstanceOf(HubSpotApiError)
  })

  it('contacts: search by email and phone, create, conflict', async () => {
    expect((await contacts.findContactByEmail(http, 'jane.doe@example.com'))?.id).toBe('901')
    expect((await contacts.findContactByPhone(http, { e164: '+15145550100', national: '5145550100' }))?.id).toBe('901')
    expect(await contacts.findContactByEmail(http, 'nobody@example.com')).toBeUndefined()
    const created = await contacts.createContact(http, { email: 'new@example.com', firstname: 'New' })
    expect(created.created).toBe(true)
    expect(await contacts.createContact(http, { email: 'new@example.com' })).toEqual({ id: created.id, created: false })
  })

  it('[legacy-app] app webhook settings and subscriptions, and the app webhooks they produce', async () => {
    hs.settings.appKind = 'project'
    const refused = await webhookSettings.getWebhookTarget(http, hs.app.appId).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(HubSpotApiError)
    expect((refused as HubSpotApiError).status).toBe(400)

    hs.settings.appKind = 'legacy'
    await webhookSettings.setWebhookTarget(http, hs.app.appId, receiverUrl, 10)
    expect(await webhookSettings.getWebhookTarget(http, hs.app.appId)).toBe(receiverUrl)
    await webhookSettings.createSubscription(http, hs.app.appId, {
      eventType: 'conversation.propertyChange',
      propertyName: 'assignedTo',
    })
    await webhookSettings.createSubscription(http, hs.app.appId, {
      eventType: 'conversation.propertyChange',
      propertyName: 'status',
    })
    const listed = await webhookSettings.listSubscriptions(http, hs.app.appId)
    expect(listed.map((s) => `${s.eventType} ${s.propertyName}`)).toEqual([
      'conversation.propertyChange assignedTo',
      'conversation.propertyChange status',
    ])
    await webhookSettings.activateSubscription(http, hs.app.appId, listed[0]!.id)
    expect(
      hs.calls
        .filter((c) => c.path.startsWith('/webhooks/'))
        .every((c) => c.path.startsWith(`/webhooks/2026-03/${hs.app.appId}/`))
    ).toBe(true)

    received.length = 0
    const thread = [...hs.portal.threads.values()][0]!
    hs.agent.reopen(thread.id)
    hs.agent.assign(thread.id, 'A-222')
    await hs.settle()
    const batches = received.map((r) => JSON.parse(r.body) as unknown[]).filter(Array.isArray)
    const events = batches.flat().map((event) => appWebhookEventSchema.parse(event))
    expect(events.map((e) => `${e.propertyName}=${e.propertyValue}`)).toEqual(
      expect.arrayContaining(['status=OPEN', 'assignedTo=222'])
    )
    for (const delivery of received) {
      expect(
        verifyHubSpotRequest({
          secret: hs.app.clientSecret,
          method: 'POST',
          uri: delivery.url,
          body: delivery.body,
          headers: delivery.headers,
          allowV1: true,
        }).ok
      ).toBe(true)
    }
  })
})
