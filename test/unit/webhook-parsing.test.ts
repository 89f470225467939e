import { RuntimeError } from '@botpress/sdk'
import { describe, expect, it, vi } from 'vitest'
import { DownloadError } from '../../src/download'
import type { Deps } from '../../src/hitl/context'
import { ForwardingFailedError } from '../../src/hitl/forwarding'
import { answerFor, failureOf, settleEvent, WebhookRefusal, type Failure } from '../../src/hitl/webhook/answers'
import { parseBody, type BatchItem, type VerifiedRequest } from '../../src/hitl/webhook/verify'
import { HubSpotApiError } from '../../src/hubspot/http'
import { HubSpotAuthError } from '../../src/hubspot/oauth'

const agentMessage = {
  type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
  portalId: '243842089',
  channelId: '1001',
  channelIntegrationThreadIds: ['conv-1'],
  message: {
    id: 'm-abc',
    type: 'MESSAGE',
    conversationsThreadId: '7345001',
    createdAt: '2025-01-01T12:00:00.000Z',
    direction: 'OUTGOING',
    text: 'Hi',
    senders: [{ actorId: 'A-111', deliveryIdentifier: { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: 'botpress' } }],
    recipients: [],
  },
}

const threadEvent = (fields: Record<string, unknown>) => ({
  eventId: 101,
  portalId: 243842089,
  occurredAt: 1735732800000,
  objectId: 7345001,
  subscriptionType: 'conversation.propertyChange',
  propertyName: 'status',
  propertyValue: 'CLOSED',
  ...fields,
})

const refusalOf = (body: string): { status: number; error: string } | undefined => {
  try {
    parseBody(body, false)
    return undefined
  } catch (error) {
    if (!(error instanceof WebhookRefusal)) throw error
    expect(error.retry).toBe(false)
    return { status: error.status, error: error.error }
  }
}

const kindsOf = (request: VerifiedRequest): string[] =>
  request.kind === 'app batch' ? request.items.map((item: BatchItem) => item.kind) : [request.kind]

describe('the verify-and-parse step', () => {
  it.each([
    ['an agent message', agentMessage, { kind: 'channel event', event: { kind: 'agent message' } }],
    [
      'a channel account event',
      { type: 'CHANNEL_ACCOUNT_CREATED', channelId: '1001' },
      { kind: 'channel event', event: { kind: 'other channel event', type: 'CHANNEL_ACCOUNT_CREATED' } },
    ],
    [
      'a kind HubSpot may add',
      { type: 'SOMETHING_NEW', whatever: 1 },
      { kind: 'channel event', event: { kind: 'other channel event', type: 'SOMETHING_NEW' } },
    ],
  ])('reads %s as a typed channel event', (_name, body, expected) => {
    expect(parseBody(JSON.stringify(body), false)).toMatchObject(expected)
  })

  it('keeps the parsed agent message, defaults filled in', () => {
    const request = parseBody(JSON.stringify(agentMessage), false)
    if (request.kind !== 'channel event' || request.event.kind !== 'agent message') throw new Error('not a message')
    expect(request.event.event.message.senders[0]?.actorId).toBe('A-111')
    expect(request.event.event.message.attachments).toEqual([])
  })

  it.each([
    [
      'a batch of our thread events',
      [threadEvent({}), threadEvent({ propertyName: 'assignedTo' })],
      ['thread event', 'thread event'],
    ],
    ['another subscription', [{ subscriptionType: 'contact.creation', objectId: 1 }], ['not ours']],
    ['an item that is no event', [42, 'text', null], ['not ours', 'not ours', 'not ours']],
    ['a conversation event without its fields', [{ subscriptionType: 'conversation.deletion' }], ['malformed']],
    ['an empty batch', [], []],
  ])('reads %s as a typed app batch', (_name, body, kinds) => {
    expect(kindsOf(parseBody(JSON.stringify(body), false))).toEqual(kinds)
  })

  it('says why a conversation event is malformed, groups items by thread and keeps the raw event to hand on', () => {
    const request = parseBody(JSON.stringify([{ subscriptionType: 'conversation.deletion', objectId: 5 }]), true)
    expect(request).toMatchObject({
      kind: 'app batch',
      forwarded: true,
      items: [{ kind: 'malformed', threadKey: '5', raw: { objectId: 5 } }],
    })
    const [item] = request.kind === 'app batch' ? request.items : []
    expect(item?.kind === 'malformed' && item.issue).toMatch(/^portalId: /)
  })

  it.each([
    ['a body that is not JSON', '{"type":', 400, 'body is not JSON'],
    [
      'a malformed agent message',
      JSON.stringify({ ...agentMessage, message: { id: 'm' } }),
      400,
      'malformed OUTGOING_CHANNEL_MESSAGE_CREATED event',
    ],
    [
      'an object without a type',
      JSON.stringify({ hello: 'world' }),
      400,
      'expected an event object or an array of events',
    ],
    ['a number', '42', 400, 'expected an event object or an array of events'],
    ['null', 'null', 400, 'expected an event object or an array of events'],
    [
      'a batch of more than 1000 events',
      JSON.stringify(Array.from({ length: 1001 }, () => threadEvent({}))),
      413,
      'too many events',
    ],
  ])('refuses %s with the answer it carries', (_name, body, status, error) => {
    expect(refusalOf(body)).toEqual({ status, error })
  })
})

const apiError = (status: number | undefined, policyName?: string) =>
  new HubSpotApiError(status, 'POST', '/x', policyName ? { policyName } : {}, 'summary')

describe('an error and the answer it gets', () => {
  it.each<[string, unknown, Failure]>([
    ['HubSpot failing (503)', apiError(503), 'unreachable'],
    ['HubSpot rate limiting (429)', apiError(429), 'unreachable'],
    ['HubSpot not answering', apiError(undefined), 'unreachable'],
    ['HubSpot refusing (400)', apiError(400), 'refused'],
    ['a file that may come back', new DownloadError('timed out', false), 'unreachable'],
    ['a file gone for good', new DownloadError('404', true), 'refused'],
    ['a rejected HubSpot token', new HubSpotAuthError('refresh-token-rejected', 'rejected'), 'refused'],
    ['a problem told to the bot builder', new RuntimeError('No HubSpot inbox is chosen yet.'), 'refused'],
    ['a sibling installation not answering', new ForwardingFailedError('did not answer'), 'unreachable'],
    ['Botpress not answering', new Error('read ECONNRESET'), 'unreachable'],
    ['an unknown error', new TypeError("Cannot read properties of undefined (reading 'id')"), 'defect'],
    ['a thrown non-error', 'oops', 'defect'],
  ])('%s: %s', (_name, error, failure) => {
    expect(failureOf(error)).toBe(failure)
  })

  const depsFor = (deadline = Date.now() + 60_000) => {
    const logger = { warn: vi.fn(), error: vi.fn(), info: vi.fn(), debug: vi.fn() }
    return { deps: { deadline, logger } as unknown as Deps, logger }
  }

  it.each<[string, Failure | undefined, number]>([
    ['handled', undefined, 200],
    ['refused for good', 'refused', 200],
    ['unreachable', 'unreachable', 503],
    ['out of time', 'out of time', 503],
    ['a defect', 'defect', 503],
  ])('an event %s is answered %i', (_name, failure, status) => {
    const result = failure ? { outcome: `failed: ${failure}` as const, failure } : { outcome: 'delivered' as const }
    expect(answerFor([{ outcome: 'agent assigned' }, result]).status).toBe(status)
  })

  it('logs an unknown error as a defect, by name and stack, without its message', async () => {
    const { deps, logger } = depsFor()
    const result = await settleEvent(deps, 'agent message', () =>
      Promise.reject(new TypeError('jane@example.com has no id'))
    )
    expect(result).toEqual({ outcome: 'failed: defect', failure: 'defect' })
    const [logged] = logger.error.mock.calls[0] as [string]
    expect(logged).toMatch(/a defect; please report it\): TypeError\n\s+at /)
    expect(logged).not.toContain('jane@example.com')
  })

  it('an unreachable HubSpot past the deadline is out of time', async () => {
    const { deps } = depsFor(Date.now() - 1)
    expect(await settleEvent(deps, 'agent message', () => Promise.reject(apiError(503)))).toEqual({
      outcome: 'failed: out of time',
      failure: 'out of time',
    })
  })
})
