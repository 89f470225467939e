// [one-click] A bot builder with no HubSpot credentials connects with Botpress's Connect button in a
// real browser: the link linkTemplate.vrl writes, HubSpot's consent, and back on Botpress's OAuth
// route to the page that confirms the portal and lists its inboxes. Then HITL works, a second
// approval for another portal is refused with the fix, and disconnecting revokes the token.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JsonObject } from '../../testbed/botpress'
import { HitlBot } from '../../testbed/botpress/hitl-bot'
import { renderConnectLink } from '../../testbed/botpress/link-template'
import { closeServedIntegration, setPublisherSecrets, startWorld, type World } from '../../testbed/world'
import { launchChromium } from '../support/browser'

let browser: Browser | undefined
let w: World | undefined

beforeAll(async () => {
  // No inbox chosen yet: the confirmation page lists them.
  w = await startWorld({ oneClick: true, configuration: { defaultInboxId: undefined, additionalInboxIds: [] } })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await w?.close()
  setPublisherSecrets(undefined)
  await closeServedIntegration()
})

const pageText = (page: Page) => page.locator('body').innerText()

const setupState = () => w!.bp.store.findState('integration', w!.driver.integrationId, 'setup')

describe('[one-click] the Connect button in a browser', () => {
  it('[one-click] Connect without credentials, pick an inbox from the page, escalate, assign, reply both ways, close; another portal is refused with the fix; disconnect revokes the token', async () => {
    const world = w!
    expect(Object.keys(world.configuration).filter((name) => /client|secret|key|token|appId/i.test(name))).toEqual([])
    const link = renderConnectLink(
      readFileSync(join(__dirname, '..', '..', 'linkTemplate.vrl'), 'utf8'),
      world.driver,
      world.bp.webhookBaseUrl
    )
    expect(link.startsWith(`${world.bp.webhookBaseUrl}/oauth/start?state=`)).toBe(true)

    const page = await browser!.newPage()
    await page.goto(link)
    await page.waitForURL((url) => url.pathname.endsWith('/webhooks/oauth') && url.searchParams.has('code'))
    expect(await page.locator('[data-testid="title"]').innerText()).toBe('HubSpot is connected')
    const confirmation = await pageText(page)
    expect(confirmation).toContain(`HubSpot portal ${world.hs.portalId} is connected to this bot`)
    for (const inbox of world.hs.inboxes) expect(confirmation).toContain(`ID ${inbox.id}`)
    expect(world.bp.store.ownerOfIdentifier(world.hs.portalId)).toBe(world.driver.integrationId)

    // The bot builder picks the first inbox on the page: nothing is copied into Botpress.
    const chosen = world.hs.inboxes[0]!
    await page.locator(`input[name="inbox"][value="${chosen.id}"]`).check()
    await page.getByRole('button', { name: 'Use this inbox' }).click()
    await page.waitForURL((url) => url.pathname.endsWith('/webhooks/oauth/inbox'))
    expect(await page.locator('[data-testid="title"]').innerText()).toBe(`Escalations go to "${chosen.name}"`)
    expect(world.configuration.defaultInboxId).toBeUndefined()
    const saved = world.driver
    const bot = new HitlBot(world.bp, saved)
    try {
      const jane = await bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
      const thread = world.bp.store.conversations.get(jane.conversationId)?.tags.hubspotThreadId
      expect(thread).toBeTruthy()
      world.hs.agent.assign(thread!, 'A-111')
      await world.hs.settle()
      world.hs.agent.reply(thread!, { actorId: 'A-111', text: 'Hello Jane' })
      await world.hs.settle()
      await bot.customerSays(jane, { type: 'text', payload: { text: 'Thanks!' } })
      world.hs.agent.close(thread!)
      await world.hs.settle()
      expect(bot.events(jane).map((event) => event.type)).toEqual(['hitlAssigned', 'hitlStopped'])
      expect(bot.agentMessages(jane).map((message) => (message.payload as { text?: string }).text)).toEqual([
        'Hello Jane',
      ])
      const agentView = world.hs.portal.timeline(thread!).filter((entry) => entry.type === 'MESSAGE')
      expect(JSON.stringify(agentView.at(-1))).toContain('Thanks!')

      // The installation serves portal 999 (the HubSpot stand-in holds one portal): the next
      // approval, for the stand-in's portal, is for another portal, and is refused with the fix.
      const setup = setupState()
      const writeSetup = (payload: JsonObject) =>
        world.bp.store.setState({
          botId: world.driver.botId,
          type: 'integration',
          resourceId: world.driver.integrationId,
          name: 'setup',
          payload,
        })
      writeSetup({ ...setup!.payload!, portalId: '999' })
      const { forgetSetup } = await import('../../src/hitl/context')
      forgetSetup(world.driver.integrationId)
      await page.goto(link)
      await page.waitForURL((url) => url.pathname.endsWith('/webhooks/oauth') && url.searchParams.has('code'))
      expect(await page.locator('[data-testid="title"]').innerText()).toBe('HubSpot was not connected')
      const refusal = await pageText(page)
      expect(refusal).toContain('already connected to HubSpot portal 999')
      expect(refusal).toContain('remove the integration from this bot')
      writeSetup(setup!.payload!)
      forgetSetup(world.driver.integrationId)

      // Disconnecting (removing the integration) revokes the token and releases the portal.
      const live = [...world.hs.portal.tokens.refresh.values()].filter((token) => !token.revoked)
      expect(live.length).toBeGreaterThan(0)
      await saved.unregister()
      const stillLive = [...world.hs.portal.tokens.refresh.values()].filter(
        (token) => !token.revoked && token.token !== world.hs.refreshToken
      )
      expect(stillLive).toEqual([])
      expect(world.bp.store.ownerOfIdentifier(world.hs.portalId)).toBeUndefined()
    } finally {
      bot.dispose()
      await page.close()
    }
  })
})
