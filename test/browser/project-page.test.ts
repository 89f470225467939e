// <webhook URL>/hubspot-project in a real browser: the files are shown, and the Download button
// saves one .zip whose entries are exactly the files the integration serves.
import { unzipSync, strFromU8 } from 'fflate'
import { readFile } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectFiles, projectNameFor, VALUES_TO_COPY } from '../../src/hitl/project-files'
import { closeServedIntegration, startWorld, type World } from '../../testbed/world'
import { launchChromium } from '../support/browser'

let browser: Browser | undefined
let w: World | undefined

beforeAll(async () => {
  w = await startWorld({ register: false, uploadProject: false, withoutRefreshToken: true })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await w?.close()
  await closeServedIntegration()
})

describe('the HubSpot project page', () => {
  it("[project-app] shows each file of the installation's project and downloads them as one zip", async () => {
    const page = await browser!.newPage({ acceptDownloads: true })
    await page.goto(`${w!.driver.webhookUrl}/hubspot-project`)
    const expected = projectFiles(w!.driver.webhookUrl)
    for (const file of expected) {
      expect((await page.locator(`pre[data-file="${file.path}"]`).innerText()).trim()).toBe(file.content.trim())
    }
    const toCopy = await page.locator('[data-testid="values-to-copy"] > li > strong').allInnerTexts()
    expect(toCopy).toEqual(VALUES_TO_COPY.map((value) => value.name))
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()])
    const name = projectNameFor(w!.driver.webhookUrl)
    expect(download.suggestedFilename()).toBe(`${name}.zip`)
    const entries = unzipSync(new Uint8Array(await readFile((await download.path())!)))
    expect(Object.fromEntries(Object.entries(entries).map(([path, bytes]) => [path, strFromU8(bytes)]))).toEqual(
      Object.fromEntries(expected.map((file) => [`${name}/${file.path}`, file.content]))
    )
    await page.close()
  })
})
