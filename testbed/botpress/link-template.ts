// Botpress's Connect button: the integration's linkTemplate.vrl, run by VRL with the installation's
// webhook ID and Botpress's webhook base URL (BP_WEBHOOK_URL: the official integrations build their
// OAuth redirect, `${BP_WEBHOOK_URL}/oauth`, both from it and from `.webhookUrl`, so the two are one).
import { execute } from '@bpinternal/verel'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const renderConnectLink = (
  script: string,
  installation: { webhookId: string },
  webhookBaseUrl: string
): string => {
  const { result } = execute(script, {
    webhookId: installation.webhookId,
    webhookUrl: webhookBaseUrl,
    env: 'production',
  }) as { result: unknown }
  if (typeof result !== 'string') throw new Error(`linkTemplate.vrl answered ${JSON.stringify(result)}, not a link`)
  return result
}

// The Connect button's link for an installation, from the integration's own linkTemplate.vrl.
export const LINK_TEMPLATE_PATH = join(__dirname, '..', '..', 'linkTemplate.vrl')

export const connectLink = (installation: { webhookId: string }, webhookBaseUrl: string): string =>
  renderConnectLink(readFileSync(LINK_TEMPLATE_PATH, 'utf8'), installation, webhookBaseUrl)
