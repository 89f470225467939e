// Agent attachments are fetched safely: the HubSpot token goes only to HubSpot, files have a size
// limit, and only http(s) URLs are fetched. End to end over HTTP, plus checks of src/download.ts.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { download, DownloadError, parseDownloadUrl } from '../../src/download'
import { isHubSpotHost } from '../../src/hubspot/files'
import type { World } from '../../testbed/world'
import {
  customerView,
  escalated,
  postWebhook,
  reportedStatus,
  shownStatus,
  setEnv,
  settle,
  v3Headers,
  withheldAgentReply,
} from './helpers'

type Served = {
  url: string
  port: number
  requests: { path: string; headers: IncomingHttpHeaders }[]
  close: () => Promise<void>
}
const servers: Served[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

// A file server that is not HubSpot. `routes` maps a path to a body, or to a redirect.
const startFileServer = async (
  routes: Record<string, { body?: Buffer; contentType?: string; redirect?: string; chunked?: boolean }>
): Promise<Served> => {
  const requests: Served['requests'] = []
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    requests.push({ path, headers: req.headers })
    const route = routes[path]
    if (!route) return void res.writeHead(404).end()
    if (route.redirect) return void res.writeHead(302, { location: route.redirect }).end()
    const body = route.body ?? Buffer.alloc(0)
    if (route.chunked) {
      // No Content-Length: the size is only known by reading.
      res.writeHead(200, { 'content-type': route.contentType ?? 'application/octet-stream' })
      for (let i = 0; i < body.length; i += 1024) res.write(body.subarray(i, i + 1024))
      return void res.end()
    }
    res.writeHead(200, {
      'content-type': route.contentType ?? 'application/octet-stream',
      'content-length': String(body.length),
    })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const served: Served = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  servers.push(served)
  // The test's own local hosts are trusted by configuration, as the testbed's stand-ins are.
  setEnv({
    HITL_TRUSTED_FILE_ORIGINS: [...trustedOrigins(), `http://127.0.0.1:${port}`, `http://localhost:${port}`]
      .filter(Boolean)
      .join(','),
  })
  return served
}

const trustedOrigins = (): string[] => (process.env.HITL_TRUSTED_FILE_ORIGINS ?? '').split(',').filter(Boolean)

// An agent reply with files whose attachment URLs are then changed, delivered with a webhook built
// and signed (v3) as HubSpot does: the URLs HubSpot would hand us are not under the test's control
// otherwise.
const replyWithAttachmentUrls = async (w: World, threadId: string, text: string, urls: string[]) => {
  // The channel allows one file per message; a webhook may still list more, each with its own URL.
  const files = [{ name: 'file-0.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 placeholder') }]
  const { message, body } = withheldAgentReply(w, threadId, { actorId: 'A-111', text, files }, (reply) => {
    const stored = w.hs.portal.messageById.get(reply.id)!
    const [template] = stored.attachments
    stored.attachments = urls.map(
      (url, i) => ({ ...template!, name: `file-${i}.pdf`, url }) as typeof template & object
    )
    reply.attachments = stored.attachments
  })
  const { status } = await postWebhook(w, body, v3Headers(w, body))
  return { status, messageId: message.id }
}

const statusOf = (w: World, messageId: string) => reportedStatus(w, messageId)
const fetchText = async (url: unknown) => (await fetch(String(url))).text()

describe('[attachment-safety] agent attachments over HTTP', () => {
  it('[attachment-safety] a file on a host that is not HubSpot is fetched without the HubSpot token', async () => {
    const { w, session, threadId } = await escalated()
    const other = await startFileServer({
      '/label.pdf': { body: Buffer.from('%PDF-1.4 from elsewhere'), contentType: 'application/pdf' },
    })
    const { status, messageId } = await replyWithAttachmentUrls(w, threadId, 'Your label', [
      `http://localhost:${other.port}/label.pdf`,
    ])
    expect(status).toBe(200)
    expect(other.requests.map((r) => r.path)).toEqual(['/label.pdf'])
    expect(other.requests[0]!.headers.authorization).toBeUndefined()
    const view = customerView(w, session)
    expect(view.map((m) => m.type)).toEqual(['text', 'file'])
    expect(await fetchText(view[1]!.payload.fileUrl)).toBe('%PDF-1.4 from elsewhere')
    expect(shownStatus(w, messageId)).toBe('SENT')
  })

  it('[attachment-safety] a file on another port of the HubSpot API host (another service) is fetched without the HubSpot token', async () => {
    const { w, threadId } = await escalated()
    const other = await startFileServer({
      '/label.pdf': { body: Buffer.from('%PDF-1.4 next door'), contentType: 'application/pdf' },
    })
    expect(new URL(w.hs.url).hostname).toBe('127.0.0.1')
    const { status } = await replyWithAttachmentUrls(w, threadId, 'Your label', [`${other.url}/label.pdf`])
    expect(status).toBe(200)
    expect(other.requests).toHaveLength(1)
    expect(other.requests[0]!.headers.authorization).toBeUndefined()
  })

  it('[attachment-safety] a file over HUBSPOT_MAX_ATTACHMENT_BYTES is not delivered, HubSpot shows the message FAILED with the reason, and the next one goes through', async () => {
    const { w, session, threadId } = await escalated({ env: { HUBSPOT_MAX_ATTACHMENT_BYTES: '1000' } })
    w.hs.resetDeliveries()
    const big = w.hs.agent.reply(threadId, {
      actorId: 'A-111',
      text: 'Here is the big one',
      files: [{ name: 'manual.pdf', contentType: 'application/pdf', data: Buffer.alloc(5000, 'x') }],
    })
    await settle(w)
    expect(w.hs.deliveries.filter((d) => d.kind === 'channel').map((d) => d.status)).toEqual([200])
    expect(customerView(w, session).map((m) => m.payload.text ?? m.type)).toEqual(['Here is the big one'])
    const failed = statusOf(w, big.id)
    expect(failed?.statusType).toBe('FAILED')
    expect(failed?.failureDetails?.errorMessage).toMatch(/manual\.pdf/)
    expect(failed?.failureDetails?.errorMessage).toMatch(/the file is 5 KB; this channel accepts files up to 1 KB/)

    const small = w.hs.agent.reply(threadId, {
      actorId: 'A-111',
      text: 'And a small one',
      files: [{ name: 'note.txt', contentType: 'text/plain', data: Buffer.from('short note') }],
    })
    await settle(w)
    const view = customerView(w, session)
    expect(view.map((m) => m.type)).toEqual(['text', 'text', 'file'])
    expect(await fetchText(view[2]!.payload.fileUrl)).toBe('short note')
    expect(shownStatus(w, small.id)).toBe('SENT')
  })

  it('[attachment-safety] file:, ftp: and data: attachment URLs are refused: nothing fetched, the message FAILED with the reason, the text still delivered', async () => {
    const { w, session, threadId } = await escalated()
    const urls = [
      'file:///etc/passwd',
      'ftp://127.0.0.1/secret.txt',
      'data:text/plain;base64,cm9vdDp4OjA6MDpyb290',
      'gopher://127.0.0.1:70/1',
    ]
    const filesBefore = w.bp.store.files.size
    const { status, messageId } = await replyWithAttachmentUrls(w, threadId, 'Files attached', urls)
    expect(status).toBe(200)
    expect(customerView(w, session).map((m) => [m.type, m.payload.text])).toEqual([['text', 'Files attached']])
    expect(w.bp.store.files.size).toBe(filesBefore)
    const failed = statusOf(w, messageId)
    expect(failed?.statusType).toBe('FAILED')
    for (const scheme of ['file', 'ftp', 'data', 'gopher']) {
      expect(failed?.failureDetails?.errorMessage).toContain(`uses ${scheme}, only http and https are fetched`)
    }
  })

  it('[attachment-safety] an attachment URL that redirects to file: is refused once and for all: the webhook is answered 200 and HubSpot shows the message FAILED', async () => {
    const { w, session, threadId } = await escalated()
    const redirecting = await startFileServer({ '/moved.pdf': { redirect: 'file:///etc/passwd' } })
    const { status, messageId } = await replyWithAttachmentUrls(w, threadId, 'See attachment', [
      `http://localhost:${redirecting.port}/moved.pdf`,
    ])
    // A permanent problem: answering 5xx would only make HubSpot redeliver it again and again.
    expect(status).toBe(200)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['See attachment'])
    expect(statusOf(w, messageId)?.statusType).toBe('FAILED')
  })
})

describe('[attachment-safety] src/download.ts', () => {
  it('[attachment-safety] only http and https URLs are accepted', () => {
    for (const url of [
      'file:///etc/passwd',
      'ftp://example.com/a',
      'data:text/plain,hi',
      'javascript:alert(1)',
      'gopher://x/',
      'ws://example.com/',
      'not a url',
      '',
    ]) {
      let error: unknown
      try {
        parseDownloadUrl(url)
      } catch (caught) {
        error = caught
      }
      expect(error, url).toBeInstanceOf(DownloadError)
      expect((error as DownloadError).permanent, url).toBe(true)
    }
    expect(parseDownloadUrl('https://api.hubapi.com/x').protocol).toBe('https:')
    expect(parseDownloadUrl('http://127.0.0.1:1/x').protocol).toBe('http:')
  })

  it('[attachment-safety] the token is for HubSpot hosts only, not for look-alikes', () => {
    const base = 'https://api.hubapi.com'
    const allowed = [
      'https://api.hubapi.com/files/x',
      'https://api-eu1.hubapi.com/x',
      'https://f.hubspotusercontent-na1.net/hubfs/1/a.pdf',
      'https://app.hubspot.com/x',
    ]
    const refused = [
      'https://evil.example/?u=api.hubapi.com',
      'https://api.hubapi.com.evil.example/x',
      'https://evilhubapi.com/x',
      'https://hubspot.com.evil.example/x',
      'https://user:pass@evil.example/.hubapi.com',
      'https://hubapi.com.evil/x',
    ]
    for (const url of allowed) expect(isHubSpotHost(new URL(url), base), url).toBe(true)
    for (const url of refused) expect(isHubSpotHost(new URL(url), base), url).toBe(false)
  })

  it('[attachment-safety] a body larger than the limit is refused, with or without Content-Length', async () => {
    const body = Buffer.alloc(64 * 1024, 'z')
    const served = await startFileServer({
      '/sized': { body },
      '/chunked': { body, chunked: true },
      '/ok': { body: Buffer.from('fits') },
    })
    for (const path of ['/sized', '/chunked']) {
      const failure = await download(`${served.url}${path}`, {
        maxBytes: 10_000,
        timeoutMs: 2000,
        trustedOrigins: trustedOrigins(),
      }).catch((error: unknown) => error)
      expect(failure, path).toBeInstanceOf(DownloadError)
      expect((failure as DownloadError).permanent, path).toBe(true)
      expect((failure as DownloadError).message, path).toMatch(
        path === '/sized'
          ? /^the file is \d+ KB; this channel accepts files up to 10 KB$/
          : /^the file is (\d+ KB; this channel accepts files up to 10 KB|larger than 10 KB, the most this channel accepts)$/
      )
    }
    expect(
      (
        await download(`${served.url}/ok`, { maxBytes: 10_000, timeoutMs: 2000, trustedOrigins: trustedOrigins() })
      ).data.toString()
    ).toBe('fits')
  })

  it('[attachment-safety] the token is sent where allowed, and dropped when the allowed host redirects elsewhere', async () => {
    const elsewhere = await startFileServer({ '/file': { body: Buffer.from('moved here') } })
    const hubspotLike = await startFileServer({ '/file': { redirect: `http://localhost:${elsewhere.port}/file` } })
    const fetched = await download(`${hubspotLike.url}/file`, {
      maxBytes: 1000,
      timeoutMs: 2000,
      trustedOrigins: trustedOrigins(),
      bearerToken: 'secret-token',
      mayReceiveToken: (url) => url.port === String(hubspotLike.port),
    })
    expect(fetched.data.toString()).toBe('moved here')
    expect(hubspotLike.requests[0]!.headers.authorization).toBe('Bearer secret-token')
    expect(elsewhere.requests[0]!.headers.authorization).toBeUndefined()
  })

  it('[attachment-safety] a redirect to a non-http URL is refused as a permanent failure', async () => {
    const served = await startFileServer({
      '/file': { redirect: 'file:///etc/passwd' },
      '/ftp': { redirect: 'ftp://127.0.0.1/x' },
    })
    for (const path of ['/file', '/ftp']) {
      const failure = await download(`${served.url}${path}`, {
        maxBytes: 1000,
        timeoutMs: 2000,
        trustedOrigins: trustedOrigins(),
      }).catch((error: unknown) => error)
      expect(failure, path).toBeInstanceOf(DownloadError)
      expect((failure as DownloadError).permanent, path).toBe(true)
    }
  })
})
