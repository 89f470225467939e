// What the sandbox's browser tests read and do on its page, by the page's test IDs.
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { startSandbox, type Sandbox, type SandboxOptions } from '../../testbed/sandbox/server'
import { closeServedIntegration } from '../../testbed/world'
import { launchChromium } from './browser'

export const WAIT_MS = 20_000

export const byTestId = (scope: Page | Locator, testId: string): Locator => scope.locator(`[data-testid="${testId}"]`)

export const waitForText = async (locator: Locator, text: string | RegExp): Promise<Locator> => {
  const match = locator.filter({ hasText: text }).first()
  await match.waitFor({ timeout: WAIT_MS })
  return match
}

export const chatLines = (page: Page, from: string): Locator =>
  page.locator(`[data-testid="chat-line"][data-from="${from}"]`)

export const threadMessages = (page: Page, author: string): Locator =>
  page.locator(`[data-testid="thread-message"][data-author="${author}"]`)

// The customer types a line and sends it; it shows on the customer's side.
export const customerSays = async (page: Page, text: string): Promise<void> => {
  await byTestId(page, 'chat-input').fill(text)
  await byTestId(page, 'chat-input').press('Enter')
  await waitForText(chatLines(page, 'customer'), text)
}

// A sandbox and Chromium for a test file: started before its tests, closed after them. A missing
// browser fails the test that needs it, rather than skipping it.
export const sandboxInBrowser = (options: SandboxOptions, afterClose: () => void = () => undefined) => {
  let sandbox: Sandbox | undefined
  let browser: Browser | undefined
  let launchFailure: unknown
  beforeAll(async () => {
    sandbox = await startSandbox(options)
    browser = await launchChromium().catch((error: unknown) => {
      launchFailure = error
      return undefined
    })
  })
  afterAll(async () => {
    await browser?.close()
    await sandbox?.close()
    await closeServedIntegration()
    afterClose()
  })
  return {
    sandbox: (): Sandbox => {
      if (!sandbox) throw new Error('the sandbox did not start')
      return sandbox
    },
    chromium: (): Browser => {
      if (!browser) throw launchFailure instanceof Error ? launchFailure : new Error('Chromium did not start')
      return browser
    },
  }
}
