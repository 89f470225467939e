// [first-run] A fresh machine has no system Chromium: the browser tests then use the one the npm
// package ships, and a machine that has Debian's Chromium uses that. CI installs nothing beyond npm ci.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { launchChromium, resolveChromium } from '../support/browser'

describe('[first-run] which Chromium the browser tests use', () => {
  it('[first-run] without a system Chromium, the one from the npm registry is unpacked and renders a page', async () => {
    const source = await resolveChromium({ systemPath: '/nonexistent/chromium' })
    expect(source.kind).toBe('npm')
    const server = createServer((_req, res) =>
      res.end('<!doctype html><html><body><h1>Rendered by npm Chromium</h1></body></html>')
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const browser = await launchChromium({ systemPath: '/nonexistent/chromium' })
    try {
      const page = await browser.newPage()
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
      expect(await page.locator('h1').innerText()).toBe('Rendered by npm Chromium')
      expect((await page.locator('h1').boundingBox())?.height).toBeGreaterThan(0)
    } finally {
      await browser.close()
      server.close()
    }
  })

  it('[first-run] a system Chromium, when present, is preferred', async () => {
    const fake = join(mkdtempSync(join(tmpdir(), 'system-chromium-')), 'chromium')
    writeFileSync(fake, '#!/bin/sh\n')
    chmodSync(fake, 0o755)
    expect(await resolveChromium({ systemPath: fake })).toMatchObject({ kind: 'system', executablePath: fake })
  })

  it('[first-run] .ci/run installs nothing outside npm ci', () => {
    const script = readFileSync(join(__dirname, '..', '..', '.ci', 'run'), 'utf8')
    expect(script).not.toMatch(/apt-get|apt install|curl |wget |playwright install|pip install/)
    expect(script).toContain('npm ci')
  })
})
