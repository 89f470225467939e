// Botpress's Connect button: the integration's linkTemplate.vrl, run by VRL with the installation's
// webhook ID and Botpress's webhook base URL (BP_WEBHOOK_URL: the official integrations build their
// OAuth redirect, `${BP_WEBHOOK_URL}/oauth`, both from it and from `.webhookUrl`, so the two are one).
import { execute } from '@bpinternal/verel'

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
