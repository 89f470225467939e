import { describe, expect, it } from 'vitest'
import { configurationSchema, oneClickConfigurationSchema } from '../../definitions'
import { budgetFor, modeOf, parseConfiguration } from '../../src/hitl/context'
import {
  appWebhookEventSchema,
  messageStatusUpdateSchema,
  outgoingMessageEventSchema,
  publishMessageSchema,
} from '../../src/hubspot/schemas'

const validConfiguration = {
  clientId: 'client',
  clientSecret: 'secret',
  appId: '18822768',
  developerApiKey: 'dev-key',
  defaultInboxId: '1001',
}

describe('configuration', () => {
  it('fills defaults', () => {
    expect(configurationSchema.parse(validConfiguration)).toMatchObject({
      additionalInboxIds: [],
      contactPolicy: 'create',
      language: 'en',
    })
  })
  it.each([
    [{ appId: 'abc' }, 'appId'],
    [{ defaultInboxId: 'support' }, 'defaultInboxId'],
    [{ defaultCountry: 'France' }, 'defaultCountry'],
    [{ contactPolicy: 'maybe' }, 'contactPolicy'],
    [{ clientSecret: '' }, 'clientSecret'],
  ])('rejects %o naming the field', (change, field) => {
    expect(() => parseConfiguration({ ...validConfiguration, ...change })).toThrow(
      new RegExp(`The configuration is invalid\\..*${field}`)
    )
  })
})

describe('a 1.x configuration carried over by the upgrade to 2.x as the default configuration', () => {
  const legacy: Record<string, unknown> = {
    ...validConfiguration,
    refreshToken: 'refresh',
    appKind: 'legacy',
    additionalInboxIds: ['1002'],
  }
  type ModeContext = Parameters<typeof modeOf>[0]
  const ctx = (configurationType: string | null, configuration: Record<string, unknown>) =>
    ({ configurationType, configuration }) as unknown as ModeContext
  it('the default schema accepts its fields, hidden from the form', () => {
    expect(oneClickConfigurationSchema.parse(legacy)).toMatchObject({ clientId: 'client', refreshToken: 'refresh' })
    const json = oneClickConfigurationSchema.toJSONSchema() as {
      required?: string[]
      properties: Record<string, unknown>
    }
    expect(json.required ?? []).not.toContain('clientId')
    expect(json.properties.clientId).toMatchObject({ 'x-zui': { hidden: true } })
  })
  it('is read as the manual configuration; a default configuration without a client ID is one-click', () => {
    expect(modeOf(ctx(null, legacy))).toBe('manual')
    expect(modeOf(ctx(null, { clientId: ' ', defaultInboxId: '1001' }))).toBe('one-click')
    expect(modeOf(ctx(null, { defaultInboxId: '1001' }))).toBe('one-click')
    expect(modeOf(ctx('manual', legacy))).toBe('manual')
  })
})

describe('the budget of an invocation', () => {
  it('the connection pages (GET /oauth…) run under the action budget, webhooks under the webhook one', () => {
    expect(budgetFor('GET', '/oauth')).toBe('action')
    expect(budgetFor('get', '/oauth/start')).toBe('action')
    expect(budgetFor('GET', '/oauth/callback')).toBe('action')
    expect(budgetFor('POST', '/oauth')).toBe('webhook')
    expect(budgetFor('POST', '/')).toBe('webhook')
    expect(budgetFor('GET', '/oauthx')).toBe('webhook')
  })
})

describe('HubSpot wire formats (spec examples)', () => {
  it('parses the OUTGOING_CHANNEL_MESSAGE_CREATED example', () => {
    const event = outgoingMessageEventSchema.parse({
      type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
      eventId: 'e-uuid',
      eventTimestamp: '2025-01-01T12:00:00.000Z',
      portalId: '243842089',
      channelId: '1001',
      channelAccountId: '5501',
      channelIntegrationThreadIds: ['thread-1'],
      message: {
        id: 'm-abc',
        type: 'MESSAGE',
        channelId: '1001',
        channelAccountId: '5501',
        conversationsThreadId: '7345001',
        createdAt: '2025-01-01T12:00:00.000Z',
        createdBy: 'A-111',
        direction: 'OUTGOING',
        text: "Hi, I'm Ann",
        richText: "<div>Hi, I'm Ann</div>",
        senders: [
          {
            actorId: 'A-111',
            name: 'Ann Agent',
            deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: 'botpress' },
          },
        ],
        recipients: [
          { actorId: 'V-901', name: 'Jane', deliveryIdentifier: { type: 'HS_PHONE_NUMBER', value: '+15145550100' } },
        ],
        attachments: [],
        truncationStatus: 'NOT_TRUNCATED',
        status: { statusType: 'SENT' },
        client: { clientType: 'HUBSPOT' },
        archived: false,
      },
    })
    expect(event.message.senders[0]?.actorId).toBe('A-111')
    expect(event.channelIntegrationThreadIds).toEqual(['thread-1'])
  })

  it.each([
    {
      subscriptionType: 'conversation.propertyChange',
      propertyName: 'assignedTo',
      propertyValue: '111',
      changeSource: 'CONVERSATIONS',
    },
    { subscriptionType: 'conversation.propertyChange', propertyName: 'status', propertyValue: 'CLOSED' },
    {
      subscriptionType: 'conversation.newMessage',
      messageId: 'm-abc',
      messageType: 'MESSAGE',
      changeFlag: 'NEW_MESSAGE',
    },
    { subscriptionType: 'conversation.creation', changeFlag: 'CREATED' },
  ])('parses the app webhook example %o', (fields) => {
    const event = appWebhookEventSchema.parse({
      eventId: 101,
      subscriptionId: 9,
      portalId: 243842089,
      appId: 18822768,
      occurredAt: 1735732800000,
      attemptNumber: 0,
      objectId: 7345001,
      ...fields,
    })
    expect(event.objectId).toBe('7345001')
    expect(event.portalId).toBe('243842089')
  })

  it('defaults what HubSpot tolerates missing in a publish, and requires a sender', () => {
    const base = {
      text: 'hi',
      messageDirection: 'INCOMING',
      channelAccountId: '5501',
      senders: [{ deliveryIdentifier: { type: 'HS_EMAIL_ADDRESS', value: 'a@b.c' } }],
    }
    expect(publishMessageSchema.parse(base)).toMatchObject({ recipients: [], attachments: [] })
    expect(publishMessageSchema.safeParse({ ...base, senders: [] }).success).toBe(false)
    expect(publishMessageSchema.safeParse({ ...base, messageDirection: 'SIDEWAYS' }).success).toBe(false)
  })

  it('accepts both message status bodies', () => {
    expect(messageStatusUpdateSchema.safeParse({ statusType: 'SENT' }).success).toBe(true)
    expect(
      messageStatusUpdateSchema.safeParse({
        status: { statusType: 'FAILED', timestamp: '2025-01-01T00:00:00Z', failureDetails: { errorMessage: 'x' } },
      }).success
    ).toBe(true)
    expect(messageStatusUpdateSchema.safeParse({ statusType: 'DELIVERED' }).success).toBe(false)
  })
})
