// Headless Chromium for the browser tests, launched with the flags this machine's closed network needs.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const SYSTEM_CHROMIUM = '/usr/bin/chromium'

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(SYSTEM_CHROMIUM)) throw new Error(`Chromium is missing at ${SYSTEM_CHROMIUM}: install it (apt-get install -y chromium) to run the browser tests.`)
  return chromium.launch({ executablePath: SYSTEM_CHROMIUM, headless: true, args: FLAGS })
}
