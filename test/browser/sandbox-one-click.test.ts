// [one-click] hub.md's one-click path, walked in the sandbox (`npm start -- --one-click`) in a real
// browser by a bot builder with no HubSpot credentials: the Connect button, HubSpot's install page
// (pick the account, Connect app), the integration's finish page listing the inboxes, the default
// inbox picked there, then an escalation, assignment, replies both ways and a close; Remove revokes the token.
import { mkdir } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { setPublisherSecrets } from '../../testbed/world'
import {
  sandboxInBrowser,
  byTestId,
  chatLines,
  customerSays,
  threadMessages,
  WAIT_MS,
  waitForText,
} from '../support/sandbox-page'

const { sandbox: running, chromium: requireChromium } = sandboxInBrowser({ port: 0, oneClick: true }, () =>
  setPublisherSecrets(undefined)
)

const setupState = (page: Page, state: string) =>
  page.locator(`[data-testid="setup-status"][data-state="${state}"]`).waitFor({ timeout: WAIT_MS })

describe('[one-click] the sandbox in one-click mode', () => {
  it("[one-click] Connect through HubSpot's install page to the finish page, pick the inbox there, then escalation, assignment, replies both ways and close; Remove revokes the token", async () => {
    const { world } = running()
    const { hs, bp, driver } = world
    // No HubSpot credential anywhere in the configuration.
    expect(
      Object.keys(driver.configuration).filter(
        (key) => (driver.configuration as Record<string, unknown>)[key] !== undefined
      )
    ).toEqual(['additionalInboxIds'])

    const page = await requireChromium().newPage({ viewport: { width: 1440, height: 900 } })
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(running().url)
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: WAIT_MS })
    await setupState(page, 'not-connected')

    // The button's link is what linkTemplate.vrl renders for this installation.
    const connect = byTestId(page, 'connect-hubspot')
    await expect(connect.getAttribute('href')).resolves.toBe(
      `${bp.webhookBaseUrl}/oauth/start?state=${driver.webhookId}`
    )
    const [tab] = await Promise.all([page.context().waitForEvent('page'), connect.click()])
    await byTestId(tab, 'consent-page').waitFor({ timeout: WAIT_MS })
    await expect(tab.locator('h1').innerText()).resolves.toBe('Connect app to your HubSpot account')
    await expect(byTestId(tab, 'consent-account').getAttribute('value')).resolves.toBe(hs.portalId)
    await byTestId(tab, 'consent-account').check()
    await byTestId(tab, 'consent-connect').click()

    // The integration's finish page, on Botpress's OAuth route: the portal, and its inboxes to pick from.
    await tab.waitForURL(`${bp.webhookBaseUrl}/oauth?**`, { timeout: WAIT_MS })
    const finish = await tab.locator('body').innerText()
    expect(finish).toContain('HubSpot is connected')
    expect(finish).toContain(`HubSpot portal ${hs.portalId} is connected to this bot.`)
    expect(finish).toContain('Pick the inbox or help desk that receives escalations')
    for (const inbox of hs.inboxes) expect(finish).toContain(`${inbox.name} (`)
    await mkdir('test-results', { recursive: true })
    await tab.screenshot({ path: 'test-results/sandbox-one-click-finish.png' })
    const support = hs.inboxes[0]!
    await tab.locator(`input[name="inbox"][value="${support.id}"]`).check()
    await tab.getByRole('button', { name: 'Use this inbox' }).click()
    await tab.waitForURL(`${bp.webhookBaseUrl}/oauth/inbox?**`, { timeout: WAIT_MS })
    await expect(tab.locator('h1').innerText()).resolves.toBe(`Escalations go to "${support.name}"`)
    await tab.close()

    // Back on the sandbox: connected, escalations go to the picked inbox; nothing was copied.
    await setupState(page, 'connected')
    await waitForText(byTestId(page, 'setup-status'), `Connected to portal ${hs.portalId}`)
    await waitForText(
      byTestId(page, 'setup-inbox-note'),
      `Escalations go to inbox ${support.id}, picked on the connection page.`
    )
    const log = byTestId(page, 'event-log')
    await waitForText(log.locator('[data-testid="log-entry"]'), `Inbox ${support.id} picked on the connection page`)
    await page.screenshot({ path: 'test-results/sandbox-one-click.png' })
    // Connected, the Connect button stays: pressing it again leads to the page that changes the inbox.
    await expect(byTestId(page, 'connect-hubspot').isVisible()).resolves.toBe(true)
    // A Default inbox ID register refuses is not kept, and the integration's sentence is shown.
    await byTestId(page, 'setup-inbox-input').fill('9999')
    await byTestId(page, 'setup-inbox-save').click()
    await waitForText(byTestId(page, 'setup-error'), /Not saved\. .*9999/)
    await waitForText(
      byTestId(page, 'setup-inbox-note'),
      `Escalations go to inbox ${support.id}, picked on the connection page.`
    )

    // The sandbox story: escalate, assign, replies both ways, close.
    await customerSays(page, 'Hello')
    await byTestId(page, 'chat-escalate').click()
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)
    const thread = await waitForText(byTestId(page, 'thread-item'), 'Jane Doe')
    await expect(thread.getAttribute('data-status')).resolves.toBe('OPEN')
    await expect(thread.innerText()).resolves.toContain(hs.inboxes[0]!.name)

    await byTestId(page, 'agent-select').selectOption('A-111')
    await byTestId(page, 'assign-button').click()
    await waitForText(chatLines(page, 'status'), 'Agent assigned: Ann Agent')
    await waitForText(byTestId(page, 'chat-status'), 'With Ann Agent')

    await customerSays(page, 'My parcel is late, order 42')
    await waitForText(byTestId(threadMessages(page, 'customer'), 'message-text'), 'My parcel is late, order 42')
    await byTestId(page, 'reply-input').fill('Hi Jane, your parcel leaves today.')
    await byTestId(page, 'reply-send').click()
    await waitForText(chatLines(page, 'agent'), 'Hi Jane, your parcel leaves today.')

    await byTestId(page, 'close-button').click()
    await waitForText(chatLines(page, 'bot'), 'The human agent closed the conversation')
    await page.locator('[data-testid="chat-status"][data-mode="bot"]').waitFor({ timeout: WAIT_MS })
    await page.locator('[data-testid="thread-item"][data-status="CLOSED"]').waitFor({ timeout: WAIT_MS })

    // The assignment and the close came through Botpress's global route, routed by portal.
    const global = bp.routed.filter((route) => route.route === 'global' && route.status === 200)
    expect(global.length).toBeGreaterThan(0)
    expect(global.every((route) => route.webhookId === driver.webhookId && route.identifier === hs.portalId)).toBe(true)
    await expect(log.locator('[data-testid="log-entry"][data-kind="error"]').count()).resolves.toBe(0)

    // The configuration's Default inbox ID, once saved, takes precedence over the pick.
    const sales = hs.inboxes[1]!
    await byTestId(page, 'setup-inbox-input').fill(sales.id)
    await byTestId(page, 'setup-inbox-save').click()
    await waitForText(
      byTestId(page, 'setup-inbox-note'),
      `Escalations go to inbox ${sales.id} (Default inbox ID in the configuration).`
    )
    await waitForText(log.locator('[data-testid="log-entry"]'), `Configuration saved: default inbox ${sales.id}`)

    // Remove: unregister disconnects the portal and revokes the token the Connect button got.
    const granted = [...hs.portal.tokens.refresh.values()].filter(
      (token) => !token.revoked && token.token !== hs.refreshToken
    )
    expect(granted.length).toBeGreaterThan(0)
    await byTestId(page, 'setup-remove').click()
    await setupState(page, 'removed')
    await waitForText(
      log.locator('[data-testid="log-entry"]'),
      /Integration removed \(unregister ran\): \d+ HubSpot tokens? revoked/
    )
    expect(granted.every((token) => token.revoked)).toBe(true)
    expect(bp.store.integrationSettings.get(driver.integrationId)?.identifier).toBeNull()

    // Added again, it is back to the Connect button, which connects the portal anew.
    await byTestId(page, 'setup-add-again').click()
    await setupState(page, 'not-connected')
    const [again] = await Promise.all([page.context().waitForEvent('page'), byTestId(page, 'connect-hubspot').click()])
    await byTestId(again, 'consent-connect').click()
    await again.waitForURL(`${bp.webhookBaseUrl}/oauth?**`, { timeout: WAIT_MS })
    await expect(again.locator('body').innerText()).resolves.toContain(`Escalations go to inbox ${sales.id}`)
    await again.close()
    await setupState(page, 'connected')
    expect(pageErrors).toEqual([])
    await page.close()
  })
})
