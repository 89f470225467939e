// HubSpot request signatures (pure). v3 signs method + URI + raw body + timestamp with an HMAC;
// v1 and v2 are plain SHA-256 digests. Verification compares in constant time after a length check.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000

// HubSpot decodes only these escapes in the URI before signing; every other escape stays as sent.
const V3_DECODED_ESCAPES: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
}

export const normalizeV3Uri = (uri: string): string =>
  uri.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (escape) => V3_DECODED_ESCAPES[escape.toUpperCase()] ?? escape
  )

export const signV3 = (p: {
  secret: string
  method: string
  uri: string
  body: string
  timestamp: string | number
}): string =>
  createHmac('sha256', p.secret)
    .update(`${p.method.toUpperCase()}${normalizeV3Uri(p.uri)}${p.body}${p.timestamp}`, 'utf8')
    .digest('base64')

export const signV1 = (p: { secret: string; body: string }): string =>
  createHash('sha256').update(`${p.secret}${p.body}`, 'utf8').digest('hex')

export const signV2 = (p: { secret: string; method: string; uri: string; body: string }): string =>
  createHash('sha256').update(`${p.secret}${p.method.toUpperCase()}${p.uri}${p.body}`, 'utf8').digest('hex')

export const constantTimeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}

export type VerificationResult = { ok: true; version: 'v1' | 'v2' | 'v3' } | { ok: false; reason: string }

type Headers = Record<string, string | undefined>

const header = (headers: Headers, name: string): string | undefined => {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value
  }
  return undefined
}

// The URL HubSpot signs is the target URL as the app or channel stores it; one written with a
// trailing slash, or with the host in other letter case, names the same endpoint.
export const equivalentUris = (uri: string): string[] => {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^?#]*)(.*)$/i.exec(uri)
  if (!match) return [uri]
  const [, origin = '', path = '', rest = ''] = match
  const paths = path.endsWith('/') ? [path, path.replace(/\/+$/, '')] : [path, `${path}/`]
  const origins = [origin, origin.toLowerCase()]
  return [...new Set(origins.flatMap((o) => paths.map((p) => `${o}${p}${rest}`)))]
}

export const verifyV3 = (p: {
  secret: string
  method: string
  uri: string
  body: string
  headers: Headers
  now?: number
}): VerificationResult => {
  // Some proxies turn the '+' of a base64 signature into a space.
  const signature = header(p.headers, 'x-hubspot-signature-v3')?.trim().replace(/ /g, '+')
  const timestampHeader = header(p.headers, 'x-hubspot-request-timestamp')?.trim()
  if (!signature) return { ok: false, reason: 'missing X-HubSpot-Signature-v3 header' }
  if (!timestampHeader || !/^\d{1,15}$/.test(timestampHeader)) {
    return { ok: false, reason: 'missing or malformed X-HubSpot-Request-Timestamp header' }
  }
  const timestamp = Number(timestampHeader)
  const now = p.now ?? Date.now()
  if (Math.abs(now - timestamp) > SIGNATURE_WINDOW_MS) {
    return { ok: false, reason: 'request timestamp outside the 5-minute window' }
  }
  const matches = equivalentUris(p.uri).some((uri) =>
    constantTimeEqual(
      signature,
      signV3({ secret: p.secret, method: p.method, uri, body: p.body, timestamp: timestampHeader })
    )
  )
  return matches ? { ok: true, version: 'v3' } : { ok: false, reason: 'v3 signature mismatch' }
}

export const verifyV1OrV2 = (p: {
  secret: string
  method: string
  uri: string
  body: string
  headers: Headers
}): VerificationResult => {
  const signature = header(p.headers, 'x-hubspot-signature')?.trim().toLowerCase()
  const version = (header(p.headers, 'x-hubspot-signature-version') ?? 'v1').trim().toLowerCase()
  if (!signature) return { ok: false, reason: 'missing X-HubSpot-Signature header' }
  if (version === 'v1') {
    return constantTimeEqual(signature, signV1(p))
      ? { ok: true, version: 'v1' }
      : { ok: false, reason: 'v1 signature mismatch' }
  }
  if (version === 'v2') {
    return constantTimeEqual(signature, signV2(p))
      ? { ok: true, version: 'v2' }
      : { ok: false, reason: 'v2 signature mismatch' }
  }
  return { ok: false, reason: `unsupported signature version ${version}` }
}

// The publisher app's webhook batches (one-click) reach Botpress's global route, named after the
// deployed integration, `<workspace handle>/hubspot-inbox-hitl`: the integration does not know that
// handle (neither its context nor its environment name it), so it cannot rebuild the URL HubSpot
// signed with v3. Such a batch is taken on its v3 signature over the installation's own URL (a
// batch an installation hands on to another), else on its v1 signature over the body, as the
// official HubSpot integration checks app webhooks. v1 has no timestamp: a captured batch could be
// replayed, and replaying an assignment or a close changes nothing that is not already so.
export const verifyPublisherAppBatch = (p: {
  secret: string
  method: string
  installationUri: string
  body: string
  headers: Headers
  now?: number
}): VerificationResult => {
  const installation = verifyV3({ ...p, uri: p.installationUri })
  if (installation.ok) return installation
  const v1 = verifyV1OrV2({ ...p, uri: p.installationUri })
  if (v1.ok && v1.version === 'v1') return v1
  return { ok: false, reason: `${installation.reason}; ${v1.ok ? 'no v1 signature' : v1.reason}` }
}

// Channel webhooks carry v3. App webhooks carry v3 for public apps and v1 always: use v3 when present.
export const verifyHubSpotRequest = (p: {
  secret: string
  method: string
  uri: string
  body: string
  headers: Headers
  now?: number
  allowV1: boolean
}): VerificationResult => {
  if (header(p.headers, 'x-hubspot-signature-v3') !== undefined) return verifyV3(p)
  if (p.allowV1) return verifyV1OrV2(p)
  return { ok: false, reason: 'missing X-HubSpot-Signature-v3 header' }
}
