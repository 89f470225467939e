// Customer files: never fetched at an internal address; the customer is told when a file did not
// reach the agent.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { download, DownloadError, isInternalAddress } from '../../src/download'
import { customerView, escalated, hostFile, setEnv, settle, threadMessages } from './helpers'

const servers: { close: () => void }[] = []

afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

// A local host of the test's own: it only redirects, and counts the requests it gets.
const redirector = async (location: string) => {
  const hits: string[] = []
  const server = createServer((req, res) => {
    hits.push(req.url ?? '/')
    res.writeHead(302, { location }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push({ close: () => server.close() })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/file.png`, origin: `http://127.0.0.1:${port}`, hits }
}

describe('[ssrf] customer files at internal addresses', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.0.0.5', true],
    ['172.16.3.4', true],
    ['192.168.1.10', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.1.2.3', true],
    ['224.0.0.1', true],
    ['93.184.216.34', false],
    ['2606:2800:220:1:248:1893:25c8:1946', false],
  ])('%s is internal: %s', (address, internal) => {
    expect(isInternalAddress(address)).toBe(internal)
  })

  it.each([
    'http://127.0.0.1:9/secret',
    'http://10.0.0.5/admin',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:9/x',
    'http://[fd00::1]/x',
    'http://[::ffff:169.254.169.254]/latest',
    'http://0x7f000001/x',
  ])('a literal internal address is refused before any connection: %s', async (url) => {
    const failure = await download(url, { maxBytes: 1000, timeoutMs: 1000, trustedOrigins: [] }).catch(
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(DownloadError)
    expect((failure as DownloadError).permanent).toBe(true)
    expect((failure as DownloadError).message).toMatch(/points inside a private network/)
  })

  it('a host name that resolves to an internal address is refused on its resolved address', async () => {
    const failure = await download('http://localhost:9/secret', {
      maxBytes: 1000,
      timeoutMs: 1000,
      trustedOrigins: [],
    }).catch((error: unknown) => error)
    expect((failure as DownloadError).message).toMatch(/points inside a private network \((127\.0\.0\.1|::1)\)/)
  })

  it('a redirect to an internal address is refused, whether literal or by name; a trusted origin is fetched', async () => {
    const literal = await redirector('http://169.254.169.254/latest/meta-data/iam')
    const byName = await redirector('http://localhost:9/secret')
    for (const hop of [literal, byName]) {
      const failure = await download(hop.url, { maxBytes: 1000, timeoutMs: 1000, trustedOrigins: [hop.origin] }).catch(
        (error: unknown) => error
      )
      expect((failure as DownloadError).message).toMatch(/points inside a private network/)
      expect(hop.hits).toEqual(['/file.png'])
    }
  })

  it('[ssrf] a customer image at an internal address reaches the agent as a note, nothing fetched; files the stand-in hosts still go through', async () => {
    const { w, session, threadId } = await escalated()
    const internal = await redirector('http://10.0.0.8/inside.png')
    setEnv({ HITL_TRUSTED_FILE_ORIGINS: internal.origin })
    for (const imageUrl of ['http://169.254.169.254/latest/meta-data/', 'http://localhost:9/x.png', internal.url]) {
      await w.bot.customerSays(session, { type: 'image', payload: { imageUrl } })
    }
    const notes = threadMessages(w, threadId)
      .filter((m) => m.direction === 'INCOMING')
      .slice(-3)
    for (const note of notes) {
      expect(note.attachments).toEqual([])
      expect(note.text).toMatch(/could not be attached: the file URL points inside a private network/)
    }
    const photo = await hostFile(w, 'photo.png', Buffer.from('png'), 'image/png')
    await w.bot.customerSays(session, { type: 'image', payload: { imageUrl: photo } })
    expect(threadMessages(w, threadId).at(-1)?.attachments).toHaveLength(1)
  })

  it('the customer is told when a file did not reach the agent: at once when an agent is assigned, else on assignment', async () => {
    const { w, session, threadId } = await escalated()
    await w.bot.customerSays(session, { type: 'image', payload: { imageUrl: 'http://169.254.169.254/x.png' } })
    expect(customerView(w, session)).toEqual([])
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual([
      'Your file “x.png” did not reach the agent: the file URL points inside a private network (169.254.169.254); such addresses are not fetched.',
    ])
    await w.bot.customerSays(session, {
      type: 'file',
      payload: { fileUrl: 'http://[::1]/report.pdf', title: 'report.pdf' },
    })
    expect(customerView(w, session).at(-1)?.payload.text).toMatch(/^Your file “report.pdf” did not reach the agent/)
    expect(w.bot.status(session)).toMatchObject({ agentName: 'Ann Agent' })
  })
})
