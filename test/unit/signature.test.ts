import { describe, expect, it } from 'vitest'
import {
  normalizeV3Uri,
  signV1,
  signV2,
  signV3,
  verifyHubSpotRequest,
  verifyPublisherAppBatch,
  verifyV1OrV2,
  verifyV3,
} from '../../src/hubspot/signature'

const secret = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy'
const v1Body =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'

describe('[signature] HubSpot test vectors', () => {
  it('v1 matches the documented vector', () => {
    expect(signV1({ secret, body: v1Body })).toBe('232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de')
  })
  it('v2 matches the documented vector', () => {
    expect(signV2({ secret, method: 'GET', uri: 'https://www.example.com/webhook_uri', body: '' })).toBe(
      'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e'
    )
  })
  it('v3 matches the spec vector', () => {
    expect(
      signV3({
        secret: 'test-secret',
        method: 'POST',
        uri: 'https://webhook.example.test/abc',
        body: '{"type":"OUTGOING_CHANNEL_MESSAGE_CREATED"}',
        timestamp: 1700000000000,
      })
    ).toBe('iwEA3pvcrUNc6PPHqKtAhNrvJv3Mza2EdMbaXzwO1XA=')
  })
})

describe('[signature] v3 URI normalisation', () => {
  it.each([
    ['https://h.test/a%3Ab', 'https://h.test/a:b'],
    ['https://h.test/a%2fb', 'https://h.test/a/b'],
    ['https://h.test/p?x=%40y', 'https://h.test/p?x=@y'],
    ['https://h.test/p?x=a%20b', 'https://h.test/p?x=a%20b'],
    ['https://h.test/p?x=a%26b%3Dc', 'https://h.test/p?x=a%26b%3Dc'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeV3Uri(input)).toBe(expected)
  })
})

describe('[signature] v3 verification', () => {
  const uri = 'https://webhook.example.test/abc'
  const body = '{"type":"OUTGOING_CHANNEL_MESSAGE_CREATED"}'
  const now = 1_700_000_000_000
  const signed = (timestamp: number, s = 'test-secret') => ({
    'x-hubspot-signature-v3': signV3({ secret: s, method: 'POST', uri, body, timestamp }),
    'x-hubspot-request-timestamp': String(timestamp),
  })

  it.each([
    ['a fresh, correct signature', signed(now), true],
    ['a signature 4 minutes old', signed(now - 4 * 60_000), true],
    ['a signature 6 minutes old', signed(now - 6 * 60_000), false],
    ['a signature 6 minutes in the future', signed(now + 6 * 60_000), false],
    ['a signature made with another secret', signed(now, 'other'), false],
    ['a truncated signature', { ...signed(now), 'x-hubspot-signature-v3': 'abc' }, false],
    ['a non-numeric timestamp', { ...signed(now), 'x-hubspot-request-timestamp': 'NaN' }, false],
    ['no signature at all', {}, false],
    [
      'a signature whose + became a space',
      (() => {
        const h = signed(now)
        return { ...h, 'x-hubspot-signature-v3': h['x-hubspot-signature-v3'].replace(/\+/g, ' ') }
      })(),
      true,
    ],
  ])('%s', (_name, headers, ok) => {
    expect(verifyV3({ secret: 'test-secret', method: 'POST', uri, body, headers, now }).ok).toBe(ok)
  })

  it('rejects a body changed by one byte', () => {
    expect(
      verifyV3({ secret: 'test-secret', method: 'POST', uri, body: body + ' ', headers: signed(now), now }).ok
    ).toBe(false)
  })
  it('rejects the right signature for another URL', () => {
    expect(
      verifyV3({ secret: 'test-secret', method: 'POST', uri: uri + 'x', body, headers: signed(now), now }).ok
    ).toBe(false)
  })
})

describe('[signature] v1 and the choice between versions', () => {
  it('accepts a v1 signature for app webhooks only', () => {
    const headers = { 'x-hubspot-signature': signV1({ secret, body: v1Body }), 'x-hubspot-signature-version': 'v1' }
    expect(verifyV1OrV2({ secret, method: 'POST', uri: 'https://x', body: v1Body, headers }).ok).toBe(true)
    expect(
      verifyHubSpotRequest({ secret, method: 'POST', uri: 'https://x', body: v1Body, headers, allowV1: true }).ok
    ).toBe(true)
    expect(
      verifyHubSpotRequest({ secret, method: 'POST', uri: 'https://x', body: v1Body, headers, allowV1: false }).ok
    ).toBe(false)
  })
  it('prefers v3 when both are present, so a stale v3 is not rescued by v1', () => {
    const headers = {
      'x-hubspot-signature': signV1({ secret, body: v1Body }),
      'x-hubspot-signature-v3': signV3({ secret, method: 'POST', uri: 'https://x', body: v1Body, timestamp: 1 }),
      'x-hubspot-request-timestamp': '1',
    }
    expect(
      verifyHubSpotRequest({ secret, method: 'POST', uri: 'https://x', body: v1Body, headers, allowV1: true }).ok
    ).toBe(false)
  })
})

describe('[real-world] equivalent target URLs', () => {
  it.each([
    ['a trailing slash HubSpot kept', 'https://webhook.botpress.cloud/abc', 'https://webhook.botpress.cloud/abc/'],
    ['a trailing slash we kept', 'https://webhook.botpress.cloud/abc/', 'https://webhook.botpress.cloud/abc'],
    ['the host in lower case', 'https://Webhook.Botpress.Cloud/abc', 'https://webhook.botpress.cloud/abc'],
    ['both, with a query', 'HTTPS://Webhook.Botpress.Cloud/abc?x=1', 'https://webhook.botpress.cloud/abc/?x=1'],
  ])('%s verifies', (_name, stored, signed) => {
    const body = '{"type":"OUTGOING_CHANNEL_MESSAGE_CREATED"}'
    const timestamp = Date.now()
    const headers = {
      'x-hubspot-signature-v3': signV3({ secret: 's', method: 'POST', uri: signed, body, timestamp }),
      'x-hubspot-request-timestamp': String(timestamp),
    }
    expect(verifyV3({ secret: 's', method: 'POST', uri: stored, body, headers }).ok).toBe(true)
  })

  it('the path itself must match', () => {
    const body = '{}'
    const timestamp = Date.now()
    const headers = {
      'x-hubspot-signature-v3': signV3({
        secret: 's',
        method: 'POST',
        uri: 'https://webhook.botpress.cloud/ABC',
        body,
        timestamp,
      }),
      'x-hubspot-request-timestamp': String(timestamp),
    }
    expect(verifyV3({ secret: 's', method: 'POST', uri: 'https://webhook.botpress.cloud/abc', body, headers }).ok).toBe(
      false
    )
  })
})

describe("the publisher app's batches, sent to a global route whose URL the integration cannot rebuild", () => {
  const globalUrl = 'https://webhook.botpress.cloud/integration/global/acme/hubspot-inbox-hitl'
  const installationUri = 'https://webhook.botpress.cloud/0a1b2c3d'
  const now = Date.now()
  const signedAsHubSpot = (key: string) => ({
    'x-hubspot-signature-v3': signV3({ secret: key, method: 'POST', uri: globalUrl, body: v1Body, timestamp: now }),
    'x-hubspot-request-timestamp': String(now),
    'x-hubspot-signature': signV1({ secret: key, body: v1Body }),
    'x-hubspot-signature-version': 'v1',
  })
  const verify = (headers: Record<string, string>) =>
    verifyPublisherAppBatch({ secret, method: 'POST', installationUri, body: v1Body, headers, now })

  it('takes the v1 signature over the body, as the official integration does', () => {
    expect(verify(signedAsHubSpot(secret))).toEqual({ ok: true, version: 'v1' })
  })

  it('takes v3 over the installation URL (a batch handed on by another installation)', () => {
    const headers = {
      'x-hubspot-signature-v3': signV3({ secret, method: 'POST', uri: installationUri, body: v1Body, timestamp: now }),
      'x-hubspot-request-timestamp': String(now),
    }
    expect(verify(headers)).toEqual({ ok: true, version: 'v3' })
  })

  it('refuses a batch signed with another secret, or with v3 alone over another URL', () => {
    expect(verify(signedAsHubSpot('another-secret')).ok).toBe(false)
    const { 'x-hubspot-signature': _v1, 'x-hubspot-signature-version': _version, ...v3Only } = signedAsHubSpot(secret)
    expect(verify(v3Only).ok).toBe(false)
  })
})
