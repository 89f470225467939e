// [connect-security] The connect link in a real browser: the state cookie set by /oauth/start comes
// back with HubSpot's redirect to /oauth/callback, and the portal is connected.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectLinkFor } from '../../src/hitl/connect-key'
import { closeServedIntegration, startWorld, type World } from '../../testbed/world'
import { launchChromium } from '../support/browser'

let browser: Browser | undefined
let w: World | undefined

beforeAll(async () => {
  w = await startWorld({ withoutRefreshToken: true })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await w?.close()
  await closeServedIntegration()
})

describe('the connect link in a browser', () => {
  it('[connect-security] the right link connects; the bare /oauth/start does not', async () => {
    const page = await browser!.newPage()
    await page.goto(`${w!.driver.webhookUrl}/oauth/start`)
    expect(await page.locator('[data-testid="title"]').innerText()).toBe('This connect link is incomplete')

    await page.goto(connectLinkFor(w!.driver.webhookUrl, w!.hs.app.clientSecret, w!.driver.webhookId))
    await page.waitForURL(/\/oauth\/callback/)
    expect(await page.locator('[data-testid="title"]').innerText()).toBe('HubSpot is connected')
    const cookies = await page.context().cookies()
    expect(cookies.filter((cookie) => cookie.name.startsWith('hitl_connect_'))).toEqual([])
    expect(w!.bp.store.findState('integration', w!.driver.integrationId, 'oauth')?.payload).toMatchObject({ portalId: w!.hs.portalId })
    await page.close()
  })
})
