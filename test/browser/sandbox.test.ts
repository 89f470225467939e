// The sandbox page in a real browser: a customer escalates, an agent answers in the inbox view,
// both see each other's messages live, and closing the thread hands the customer back to the bot.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import {
  sandboxInBrowser,
  byTestId,
  chatLines,
  customerSays,
  threadMessages,
  WAIT_MS,
  waitForText,
} from '../support/sandbox-page'

const SCREENSHOT = 'test-results/sandbox.png'

const RECEIPT_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="90" viewBox="0 0 160 90">
<rect width="160" height="90" rx="8" fill="#fff4d6"/><text x="16" y="38" font-family="sans-serif" font-size="16" fill="#8a6100">Receipt #42</text>
<text x="16" y="64" font-family="sans-serif" font-size="13" fill="#8a6100">Total 59.90 $</text></svg>`

const { sandbox: running, chromium: requireChromium } = sandboxInBrowser({ port: 0 })

const textsOf = async (locator: Locator): Promise<string[]> =>
  (await locator.allInnerTexts()).map((text) => text.trim())

describe('sandbox page', () => {
  it('[sandbox-browser] the customer escalates, the agent assigns and replies, both see each other live, and closing hands back to the bot', async () => {
    const page = await requireChromium().newPage({ viewport: { width: 1440, height: 900 } })
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(running().url)
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: WAIT_MS })

    // The canned bot answers before any escalation.
    await customerSays(page, 'Hello')
    await waitForText(chatLines(page, 'bot'), 'opening hours or shipping')
    await customerSays(page, 'What are your opening hours?')
    await waitForText(chatLines(page, 'bot'), 'Monday to Friday')
    await expect(byTestId(page, 'thread-item').count()).resolves.toBe(0)

    await byTestId(page, 'chat-escalate').click()
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)
    await waitForText(chatLines(page, 'bot'), 'escalated this conversation to a human agent')
    await expect(byTestId(page, 'chat-status').getAttribute('data-mode')).resolves.toBe('waiting')

    // The agent sees one open, unassigned thread with the chat so far.
    const thread = await waitForText(byTestId(page, 'thread-item'), 'Jane Doe')
    await expect(thread.getAttribute('data-status')).resolves.toBe('OPEN')
    await expect(byTestId(thread, 'thread-assignee').innerText()).resolves.toBe('Unassigned')
    await waitForText(
      threadMessages(page, 'customer'),
      'Request to talk to a person, sent by the chatbot on behalf of this customer'
    )
    // The chat so far arrives as one message, each line labelled with who wrote it.
    const customerTexts = await textsOf(byTestId(threadMessages(page, 'customer'), 'message-text'))
    expect(customerTexts).toHaveLength(1)
    expect(customerTexts[0]).toMatch(/^Request to talk to a person/)
    const transcript = customerTexts[0]!
    const order = [
      'Jane Doe: Hello',
      'Jane Doe: What are your opening hours?',
      'Bot: We are open Monday to Friday',
    ].map((line) => transcript.indexOf(line))
    expect(order.every((at) => at >= 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    await expect(byTestId(threadMessages(page, 'customer').first(), 'message-sender').innerText()).resolves.toBe(
      'Jane Doe'
    )

    // Assignment reaches the customer with the agent's name.
    await byTestId(page, 'agent-select').selectOption('A-111')
    await byTestId(page, 'assign-button').click()
    await waitForText(chatLines(page, 'status'), 'Agent assigned: Ann Agent')
    await waitForText(byTestId(page, 'chat-status'), 'With Ann Agent')
    await waitForText(byTestId(page, 'thread-activity'), 'Assigned to Ann Agent')
    await waitForText(byTestId(page, 'thread-assignee'), 'Ann Agent')

    // Customer → agent: text and an image hosted on the Botpress stand-in.
    await customerSays(page, 'My parcel is late, order 42')
    await waitForText(byTestId(threadMessages(page, 'customer'), 'message-text'), 'My parcel is late, order 42')
    await byTestId(page, 'chat-file').setInputFiles({
      name: 'receipt.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from(RECEIPT_SVG),
    })
    const imageMessage = await waitForText(threadMessages(page, 'customer'), 'receipt.svg')
    await expect(imageMessage.locator('img').count()).resolves.toBe(1)

    // Agent → customer: the reply arrives under the agent's name and avatar, and HubSpot marks it SENT.
    await byTestId(page, 'reply-input').fill('Hi Jane, I am Ann. Your parcel leaves the warehouse today.')
    await byTestId(page, 'reply-send').click()
    const agentLine = await waitForText(chatLines(page, 'agent'), 'Your parcel leaves the warehouse today.')
    await expect(byTestId(agentLine, 'line-sender').innerText()).resolves.toBe('Ann Agent')
    await expect(byTestId(agentLine, 'agent-avatar').getAttribute('src')).resolves.toMatch(/\/avatars\/A-111\.svg$/)
    const agentMessage = await waitForText(threadMessages(page, 'agent'), 'Your parcel leaves the warehouse today.')
    await agentMessage.locator('[data-testid="message-status"][data-status="SENT"]').waitFor({ timeout: WAIT_MS })
    await expect(byTestId(agentMessage, 'message-sender').innerText()).resolves.toBe('Ann Agent')

    await byTestId(page, 'reply-file').setInputFiles({
      name: 'label.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4 shipping label'),
    })
    await byTestId(page, 'reply-send').click()
    const fileLine = await waitForText(chatLines(page, 'agent'), 'label.pdf')
    const fileUrl = await byTestId(fileLine, 'attachment-link').getAttribute('href')
    await expect(fetch(fileUrl!).then((response) => response.text())).resolves.toBe('%PDF-1.4 shipping label')

    // Closing in HubSpot hands the customer back to the bot.
    await byTestId(page, 'close-button').click()
    await waitForText(chatLines(page, 'bot'), 'The human agent closed the conversation')
    await waitForText(
      chatLines(page, 'status'),
      'Ann Agent closed the conversation in HubSpot: you are back with the bot'
    )
    await page.locator('[data-testid="chat-status"][data-mode="bot"]').waitFor({ timeout: WAIT_MS })
    await page.locator('[data-testid="thread-item"][data-status="CLOSED"]').waitFor({ timeout: WAIT_MS })
    await waitForText(byTestId(page, 'thread-activity'), 'Conversation closed')
    await customerSays(page, 'Thanks! And how long does shipping take?')
    await waitForText(chatLines(page, 'bot'), 'Orders ship within 2 business days')
    await expect(
      threadMessages(page, 'customer').filter({ hasText: 'how long does shipping take' }).count()
    ).resolves.toBe(0)

    // The event log shows the hitl events and the webhooks with the integration's answers.
    const log = byTestId(page, 'event-log')
    await waitForText(log.locator('[data-testid="log-entry"][data-kind="hitlAssigned"]'), 'Ann Agent')
    await log.locator('[data-testid="log-entry"][data-kind="hitlStopped"]').first().waitFor({ timeout: WAIT_MS })
    await waitForText(
      log.locator('[data-testid="log-entry"][data-kind="webhook"][data-status="200"]'),
      'OUTGOING_CHANNEL_MESSAGE_CREATED'
    )
    await waitForText(
      log.locator('[data-testid="log-entry"][data-kind="webhook"][data-status="200"]'),
      'status="CLOSED"'
    )
    await expect(log.locator('[data-testid="log-entry"][data-kind="error"]').count()).resolves.toBe(0)

    await byTestId(page, 'thread-timeline').evaluate((element) => element.scrollTo(0, element.scrollHeight))
    await mkdir('test-results', { recursive: true })
    await page.screenshot({ path: SCREENSHOT })
    expect(pageErrors).toEqual([])
    await page.close()
  })

  it('[sandbox-browser] on a phone-sized screen both panels fit; after a reload the inbox opens the thread where the customer waits; an unassigned agent shows the same on both sides', async () => {
    const page = await requireChromium().newPage({ viewport: { width: 390, height: 844 } })
    await page.goto(running().url)
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: WAIT_MS })
    await byTestId(page, 'chat-restart').click()
    await customerSays(page, 'I need an agent please')
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)
    const threadId = ((await (await fetch(`${running().url}/api/state`)).json()) as { customer: { threadId: string } })
      .customer.threadId

    await page.reload()
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: WAIT_MS })
    await page.locator(`[data-testid="thread-header"][data-thread-id="${threadId}"]`).waitFor({ timeout: WAIT_MS })
    await expect(page.locator('[data-testid="thread-header"]').getAttribute('data-status')).resolves.toBe('OPEN')

    // Nothing wider than the screen; each panel, and the status badge inside its panel, reachable.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    for (const panel of ['customer-panel', 'inbox-panel', 'event-log']) {
      await byTestId(page, panel).scrollIntoViewIfNeeded()
      const box = (await byTestId(page, panel).boundingBox())!
      expect(box.x, panel).toBeGreaterThanOrEqual(0)
      expect(box.x + box.width, panel).toBeLessThanOrEqual(390)
    }
    const panelBox = (await byTestId(page, 'customer-panel').boundingBox())!
    const badgeBox = (await byTestId(page, 'chat-status').boundingBox())!
    expect(badgeBox.x).toBeGreaterThanOrEqual(panelBox.x)
    expect(badgeBox.x + badgeBox.width).toBeLessThanOrEqual(panelBox.x + panelBox.width)

    // Bob answers without taking the thread: both sides say so.
    await byTestId(page, 'agent-select').selectOption('A-222')
    await byTestId(page, 'reply-input').fill('Bob here, looking into it')
    await byTestId(page, 'reply-send').click()
    await waitForText(chatLines(page, 'agent'), 'Bob here, looking into it')
    await waitForText(byTestId(page, 'chat-status'), 'With Bob Agent (answering, not assigned in HubSpot)')
    await waitForText(byTestId(page, 'thread-answered-by'), 'Bob Agent is answering')
    await mkdir('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/sandbox-390.png', fullPage: true })
    await page.close()
  })

  it('[sandbox-browser] the settings panel switches a fault on, whose retry shows in the event log, and the language of the texts in HubSpot', async () => {
    const page = await requireChromium().newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(running().url)
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: WAIT_MS })
    await byTestId(page, 'chat-restart').click()
    await page.locator('[data-testid="settings"] summary').click()

    await byTestId(page, 'fault-429').check()
    const settingsNow = async () =>
      (
        (await (await fetch(`${running().url}/api/state`)).json()) as {
          settings: { faults: { rateLimit: boolean }; language: string }
        }
      ).settings
    await expect.poll(async () => (await settingsNow()).faults.rateLimit).toBe(true)
    await customerSays(page, 'agent')
    const log = byTestId(page, 'event-log')
    await waitForText(
      log.locator('[data-testid="log-entry"][data-kind="publish"][data-status="429"]'),
      'the integration retries'
    )
    await byTestId(page, 'fault-429').uncheck()
    await log
      .locator('[data-testid="log-entry"][data-kind="publish"][data-status="201"]')
      .first()
      .waitFor({ timeout: WAIT_MS })
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)

    await byTestId(page, 'setting-language').selectOption('fr')
    await waitForText(log.locator('[data-testid="log-entry"][data-kind="action"]'), 'Configuration saved: language fr')
    await expect.poll(async () => (await settingsNow()).language).toBe('fr')
    await byTestId(page, 'chat-restart').click()
    await customerSays(page, 'agent')
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)
    await waitForText(byTestId(threadMessages(page, 'customer'), 'message-text'), 'Demande à parler à une personne')
    await byTestId(page, 'setting-language').selectOption('en')
    await waitForText(log.locator('[data-testid="log-entry"][data-kind="action"]'), 'Configuration saved: language en')
    await page.close()
  })

  const settle = async (body: Record<string, unknown>): Promise<void> => {
    const response = await fetch(`${running().url}/api/settings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(response.status).toBe(200)
  }
  const openPage = async (viewport = { width: 1280, height: 800 }): Promise<Page> => {
    const page = await requireChromium().newPage({ viewport })
    await page.goto(running().url)
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor({ timeout: WAIT_MS })
    return page
  }

  it('[sandbox-browser] a 429 on a customer message: the bubble and the log say it is held, then it is delivered on the retry without another message', async () => {
    const page = await openPage()
    await byTestId(page, 'chat-restart').click()
    await customerSays(page, 'agent')
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)
    await page.locator('[data-testid="settings"] summary').click()
    await byTestId(page, 'fault-429').check()
    await waitForText(byTestId(page, 'faults-armed'), 'Faults on: 429')
    const sentBefore = (await chatLines(page, 'customer').count()) + 1

    await customerSays(page, 'Where is my parcel?')
    const line = chatLines(page, 'customer').filter({ hasText: 'Where is my parcel?' })
    await line.and(page.locator('[data-delivery="held"]')).waitFor({ timeout: WAIT_MS })
    await expect(byTestId(line, 'delivery-note').innerText()).resolves.toMatch(
      /^Not delivered yet: HubSpot answered 429/
    )
    const log = byTestId(page, 'event-log')
    await waitForText(log.locator('[data-testid="log-entry"][data-kind="held"]'), 'not delivered yet')
    // The retry after HubSpot's Retry-After goes through: one fault per message, not one per poll.
    await line.and(page.locator('[data-delivery="delivered"]')).waitFor({ timeout: WAIT_MS })
    await waitForText(log.locator('[data-testid="log-entry"][data-kind="delivered"]'), 'reached HubSpot on the retry')
    await waitForText(byTestId(threadMessages(page, 'customer'), 'message-text'), 'Where is my parcel?')
    await expect(chatLines(page, 'customer').count()).resolves.toBe(sentBefore)
    await byTestId(page, 'fault-429').uncheck()
    await expect.poll(async () => await byTestId(page, 'faults-armed').isHidden()).toBe(true)
    await byTestId(page, 'chat-end').click()
    await page.locator('[data-testid="chat-status"][data-mode="bot"]').waitFor({ timeout: WAIT_MS })
    await page.close()
  })

  it("[sandbox-browser] the refuse policy shows the integration's sentence, not the envelope around it", async () => {
    await settle({ contactPolicy: 'refuse', identity: 'new-email' })
    const page = await openPage()
    await byTestId(page, 'chat-restart').click()
    await customerSays(page, 'agent')
    const failure = await waitForText(chatLines(page, 'status'), 'Escalation failed:')
    const text = (await failure.innerText()).trim()
    expect(text).toMatch(
      /^Escalation failed: No HubSpot contact matches the customer, and the contact policy is "refuse"\./
    )
    expect(text).not.toMatch(/Integration answered|\{|"code"/)
    await settle({ contactPolicy: 'create', identity: 'email' })
    await page.close()
  })

  it('[sandbox-browser] "anonymous" without an email or phone shows an anonymous visitor in the inbox; a known email shows the matched contact', async () => {
    await settle({ contactPolicy: 'anonymous', identity: 'none' })
    const page = await openPage()
    await byTestId(page, 'chat-restart').click()
    await customerSays(page, 'agent')
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)
    const kind = page.locator('[data-testid="thread-customer-kind"][data-kind="anonymous"]')
    await kind.waitFor({ timeout: WAIT_MS })
    await expect(kind.innerText()).resolves.toMatch(/anonymous visitor/)

    await settle({ contactPolicy: 'create', identity: 'email' })
    await byTestId(page, 'chat-restart').click()
    await customerSays(page, 'agent')
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)
    await waitForText(
      page.locator('[data-testid="thread-customer-kind"][data-kind="contact-matched"]'),
      'existing contact matched by email'
    )
    await page.close()
  })

  it('[sandbox-browser] at 390×844 the chat input is on screen without scrolling', async () => {
    const page = await openPage({ width: 390, height: 844 })
    expect(await page.evaluate(() => window.scrollY)).toBe(0)
    const box = (await byTestId(page, 'chat-input').boundingBox())!
    expect(box.y).toBeGreaterThanOrEqual(0)
    expect(box.y + box.height).toBeLessThanOrEqual(844)
    await page.close()
  })

  it("[sandbox-browser] files keep their names both ways, and a large upload shows its progress on the customer's bubble and under the agent's reply", async () => {
    const page = await openPage({ width: 1440, height: 900 })
    await byTestId(page, 'chat-restart').click()
    await customerSays(page, 'agent')
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)

    // The same file name twice: the agent reads it twice, never a renamed "2-…" copy.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64'
    )
    for (let sent = 1; sent <= 2; sent++) {
      await byTestId(page, 'chat-file').setInputFiles({
        name: 'photo-of-parcel.png',
        mimeType: 'image/png',
        buffer: png,
      })
      await expect
        .poll(async () => threadMessages(page, 'customer').filter({ hasText: 'photo-of-parcel.png' }).count(), {
          timeout: WAIT_MS,
        })
        .toBe(sent)
    }
    const inboxNames = await textsOf(byTestId(threadMessages(page, 'customer'), 'attachment-link'))
    expect(inboxNames).toEqual(['photo-of-parcel.png', 'photo-of-parcel.png'])

    // The agent's image reaches the customer under its file name.
    await byTestId(page, 'reply-file').setInputFiles({ name: 'damage report.png', mimeType: 'image/png', buffer: png })
    await byTestId(page, 'reply-send').click()
    const imageLine = await waitForText(chatLines(page, 'agent'), 'damage report.png')
    await expect(byTestId(imageLine, 'attachment-link').innerText()).resolves.toBe('damage report.png')
    await expect(imageLine.locator('.attachment img').getAttribute('alt')).resolves.toBe('damage report.png')

    // Uploads slowed to 1 MB/s: the customer's bubble shows a progress bar at once, then the file.
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 1_000_000,
    })
    await byTestId(page, 'chat-file').setInputFiles({
      name: 'unboxing video.mp4',
      mimeType: 'video/mp4',
      buffer: Buffer.alloc(2_000_000, 1),
    })
    const uploading = byTestId(page, 'upload-line')
    await uploading.waitFor({ timeout: WAIT_MS })
    await expect(uploading.innerText()).resolves.toContain('unboxing video.mp4')
    await waitForText(byTestId(uploading, 'upload-note'), /Uploading… \d+ % of 2\.0 MB/)
    await expect
      .poll(async () =>
        Number(
          await byTestId(page, 'upload-progress')
            .getAttribute('value')
            .catch(() => '100')
        )
      )
      .toBeGreaterThan(0)
    await waitForText(threadMessages(page, 'customer'), 'unboxing video.mp4')
    await expect(byTestId(page, 'upload-line').count()).resolves.toBe(0)

    // The agent's reply shows its upload under the composer.
    await byTestId(page, 'reply-file').setInputFiles({
      name: 'manual.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.alloc(2_000_000, 2),
    })
    await byTestId(page, 'reply-send').click()
    await waitForText(byTestId(page, 'reply-progress'), /Uploading manual\.pdf… \d+ % of 2\.0 MB/)
    await waitForText(chatLines(page, 'agent'), 'manual.pdf')
    await expect(byTestId(page, 'reply-progress').isHidden()).resolves.toBe(true)
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    })
    await page.close()
  }, 60_000)

  it("[sandbox-browser] a file over the sandbox's 16 MB is refused at once on the page, with its size and the limits", async () => {
    const page = await openPage()
    // From disk: the browser reads it there, as a person's file, rather than receiving 17 MB from the test.
    const folder = await mkdtemp(join(tmpdir(), 'sandbox-upload-'))
    const path = join(folder, 'raw footage.mov')
    await writeFile(path, Buffer.alloc(17 * 1024 * 1024, 3))
    await byTestId(page, 'chat-file').setInputFiles(path)
    await waitForText(byTestId(page, 'chat-error'), 'raw footage.mov is 17.8 MB: the sandbox takes files up to 16.8 MB')
    await expect(byTestId(page, 'upload-line').count()).resolves.toBe(0)
    await rm(folder, { recursive: true, force: true })
    await page.close()
  })

  it('[sandbox-browser] "End session" under a 429: the agent still gets the notice and the thread closes as the customer is told', async () => {
    const page = await openPage()
    await byTestId(page, 'chat-restart').click()
    await customerSays(page, 'agent')
    await waitForText(chatLines(page, 'status'), /Escalated: HubSpot thread \d+/)
    await settle({ faults: { rateLimit: true } })
    await byTestId(page, 'chat-end').click()
    await waitForText(chatLines(page, 'status'), 'You ended the session with the agent: you are back with the bot')
    await waitForText(byTestId(threadMessages(page, 'integration'), 'message-text'), 'The user has ended the session.')
    await page.locator('[data-testid="thread-status"][data-status="CLOSED"]').waitFor({ timeout: WAIT_MS })
    await expect(byTestId(page, 'reply-send').isDisabled()).resolves.toBe(true)
    await expect(byTestId(page, 'chat-input').getAttribute('placeholder')).resolves.toMatch(/try “agent”/)
    await settle({ faults: { rateLimit: false } })
    await page.close()
  })

  it('[sandbox-browser] after a reload with a fault switched on, the closed settings panel says it is on', async () => {
    await settle({ faults: { serverErrors: true, duplicates: true } })
    const page = await openPage()
    await expect(page.locator('[data-testid="settings"]').getAttribute('open')).resolves.toBeNull()
    await waitForText(byTestId(page, 'faults-armed'), 'Faults on: 503, duplicates')
    expect(await byTestId(page, 'faults-armed').isVisible()).toBe(true)
    await settle({ faults: { serverErrors: false, duplicates: false } })
    await expect.poll(async () => byTestId(page, 'faults-armed').isHidden()).toBe(true)
    await page.close()
  })
})
