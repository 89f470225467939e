// [connect-security] The connect link in a real browser, through either kind of webhook gateway:
// one that drops cookies (the page after HubSpot's consent asks for the link again) and one that
// passes them (the state cookie set by /oauth/start comes back with HubSpot's redirect).
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

    // The stand-in's gateway drops cookies by default: the link is asked for again, and pasted.
    const link = connectLinkFor(w!.driver.webhookUrl, w!.hs.app.clientSecret, w!.driver.webhookId)
    await page.goto(link)
    await page.waitForURL(/\/oauth\/callback/)
    expect(await page.locator('[data-testid="title"]').innerText()).toBe('Confirm the connection to HubSpot')
    await page.locator('input[name="link"]').fill(link)
    await page.locator('button[type="submit"]').click()
    await page.waitForURL(/link=/)
    expect(await page.locator('[data-testid="title"]').innerText()).toBe('HubSpot is connected')
    expect(w!.bp.store.findState('integration', w!.driver.integrationId, 'oauth')?.payload).toMatchObject({
      portalId: w!.hs.portalId,
    })

    // A gateway that passes cookies: the approval connects at once, and the cookie is gone after.
    w!.bp.gateway.passCookies = true
    try {
      await page.goto(link)
      await page.waitForURL(/\/oauth\/callback/)
      expect(await page.locator('[data-testid="title"]').innerText()).toBe('HubSpot is connected')
      const cookies = await page.context().cookies()
      expect(cookies.filter((cookie) => cookie.name.startsWith('hitl_connect_'))).toEqual([])
    } finally {
      w!.bp.gateway.passCookies = false
    }
    await page.close()
  })
})
