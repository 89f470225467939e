// Fetches a file for re-hosting, with the guards an attachment needs: http(s) only, a size limit,
// no address inside the network unless its origin is one the integration is configured to talk to
// (checked on the resolved address of every connection, redirects included, so a DNS answer that
// changes between check and use cannot slip through), and a bearer token sent only to hosts that
// are allowed to see it.
import axios from 'axios'
import ipaddr from 'ipaddr.js'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { Readable } from 'node:stream'

export class DownloadError extends Error {
  public readonly name = 'DownloadError'
  // The file host's HTTP status, when it answered.
  public constructor(
    message: string,
    public readonly permanent: boolean,
    public readonly status?: number
  ) {
    super(message)
  }
}

export type Downloaded = { data: Buffer; contentType?: string; fileName?: string }

export type DownloadOptions = {
  maxBytes: number
  timeoutMs: number
  bearerToken?: string
  mayReceiveToken?: (url: URL) => boolean
  // Origins (scheme, host, port) that may be fetched even when they resolve inside the network:
  // the Botpress API and HubSpot as configured.
  trustedOrigins?: string[]
}

// File sizes as people read them: 10 MB, 12.4 MB, 900 KB.
export const formatBytes = (bytes: number): string => {
  if (bytes >= 1_000_000) return `${Number((bytes / 1_000_000).toFixed(1))} MB`
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} KB`
  return `${bytes} bytes`
}

const tooLarge = (maxBytes: number, size?: number): DownloadError =>
  new DownloadError(
    size !== undefined && size > maxBytes
      ? `the file is ${formatBytes(size)}; this channel accepts files up to ${formatBytes(maxBytes)}`
      : `the file is larger than ${formatBytes(maxBytes)}, the most this channel accepts`,
    true
  )

// Loopback, private, link-local (cloud metadata at 169.254.169.254 included), carrier-grade NAT,
// unique-local, multicast, reserved: anything but a public unicast address.
export const isInternalAddress = (address: string): boolean => {
  if (!ipaddr.isValid(address)) return true
  let parsed = ipaddr.parse(address)
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address()
  }
  return parsed.range() !== 'unicast'
}

const internalTarget = (address: string) =>
  new DownloadError(`the file URL points inside a private network (${address}); such addresses are not fetched`, true)

const hostAddress = (url: URL): string | undefined => {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return ipaddr.isValid(host) ? host : undefined
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

// dns.lookup, refusing internal answers; `refused` keeps the reason, as the HTTP client rewraps errors.
const guardedLookup =
  (onRefused: (error: DownloadError) => void) =>
  (hostname: string, options: { family?: number; all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses) => {
      if (error) return callback(error, [])
      const internal = addresses.find((entry) => isInternalAddress(entry.address))
      if (internal) {
        const refusal = internalTarget(internal.address)
        onRefused(refusal)
        return callback(refusal, [])
      }
      if (options.all) return callback(null, addresses)
      const [first] = addresses
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), [])
      callback(null, first.address, first.family)
    })
  }

const fileNameFromDisposition = (header: string | undefined): string | undefined => {
  if (!header) return undefined
  const extended = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(header)
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim().replace(/^"|"$/g, ''))
    } catch {
      return undefined
    }
  }
  return /filename="?([^";]+)"?/i.exec(header)?.[1]?.trim()
}

export const parseDownloadUrl = (raw: string): URL => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new DownloadError('the file URL is not a valid URL', true)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DownloadError(`the file URL uses ${url.protocol.replace(':', '')}, only http and https are fetched`, true)
  }
  return url
}

// The body, up to maxBytes: a declared size over the limit is refused before reading; an undeclared
// one stops being read as soon as it passes the limit.
const readWithin = async (body: Readable, maxBytes: number, declared: number): Promise<Buffer> => {
  if (Number.isFinite(declared) && declared > maxBytes) {
    body.destroy()
    throw tooLarge(maxBytes, declared)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > maxBytes) {
      body.destroy()
      throw tooLarge(maxBytes)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

export const download = async (rawUrl: string, options: DownloadOptions): Promise<Downloaded> => {
  const url = parseDownloadUrl(rawUrl)
  const trusted = new Set(options.trustedOrigins ?? [])
  const literal = hostAddress(url)
  if (!trusted.has(url.origin) && literal && isInternalAddress(literal)) throw internalTarget(literal)
  const headers: Record<string, string> = {}
  if (options.bearerToken && options.mayReceiveToken?.(url)) headers.Authorization = `Bearer ${options.bearerToken}`
  // axios wraps what beforeRedirect and lookup throw, so a refusal is remembered here.
  let refusedRedirect: DownloadError | undefined
  // Connections to untrusted origins resolve through the guard; the agents apply it to every
  // connection, redirects included.
  const lookup = guardedLookup((refusal) => (refusedRedirect = refusal))
  const guarded = { http: new HttpAgent({ lookup } as object), https: new HttpsAgent({ lookup } as object) }
  const plain = { http: new HttpAgent(), https: new HttpsAgent() }
  const agentsFor = (origin: string) => (trusted.has(origin) ? plain : guarded)
  try {
    const first = agentsFor(url.origin)
    const response = await axios.get<Readable>(url.toString(), {
      httpAgent: first.http,
      httpsAgent: first.https,
      responseType: 'stream',
      headers,
      timeout: options.timeoutMs,
      maxRedirects: 3,
      validateStatus: () => true,
      // Redirects may only stay on http(s); follow-redirects drops the Authorization header across hosts.
      beforeRedirect: (redirect: Record<string, unknown>) => {
        const protocol = String(redirect.protocol ?? '')
        if (protocol !== 'https:' && protocol !== 'http:') {
          refusedRedirect = new DownloadError('the file URL redirected to a non-http URL', true)
          throw refusedRedirect
        }
        // Every hop is checked like the first: a literal internal address, else its DNS answer.
        const target = new URL(
          String(
            redirect.href ??
              `${protocol}//${String(redirect.hostname)}${redirect.port ? `:${String(redirect.port)}` : ''}${String(redirect.path ?? '')}`
          )
        )
        redirect.agents = agentsFor(target.origin)
        const address = hostAddress(target)
        if (!trusted.has(target.origin) && address && isInternalAddress(address)) {
          refusedRedirect = internalTarget(address)
          throw refusedRedirect
        }
      },
    })
    if (response.status < 200 || response.status >= 300) {
      response.data.destroy()
      throw new DownloadError(
        `the file host answered ${response.status}`,
        response.status < 500 && response.status !== 429,
        response.status
      )
    }
    const data = await readWithin(response.data, options.maxBytes, Number(response.headers['content-length']))
    return {
      data,
      contentType:
        typeof response.headers['content-type'] === 'string'
          ? response.headers['content-type'].split(';')[0]?.trim()
          : undefined,
      fileName: fileNameFromDisposition(response.headers['content-disposition'] as string | undefined),
    }
  } catch (error) {
    if (refusedRedirect) throw refusedRedirect
    if (error instanceof DownloadError) throw error
    throw new DownloadError('the file could not be downloaded (network error or timeout)', false)
  } finally {
    for (const agent of [...Object.values(guarded), ...Object.values(plain)]) agent.destroy()
  }
}
