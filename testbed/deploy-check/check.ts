// What `bp deploy` must upload for the integration to work in both modes: checked on the body of
// the dry run's validation request (testbed/botpress/admin-api.ts). Returns what is missing or
// wrong, one line each; empty when everything is there.
import { z } from 'zod'

export const PUBLISHER_SECRETS = ['CLIENT_ID', 'CLIENT_SECRET', 'APP_ID', 'DEVELOPER_API_KEY'] as const

export type ExpectedFiles = {
  linkTemplateScript: string
  extractScript: string
  readme: string
  icon: string
}

const configurationSchema = z.object({
  schema: z
    .object({ properties: z.record(z.unknown()).optional(), required: z.array(z.string()).optional() })
    .passthrough(),
  identifier: z.object({ linkTemplateScript: z.string().optional() }).passthrough().optional(),
})

const payloadSchema = z
  .object({
    configuration: configurationSchema.optional(),
    configurations: z.record(configurationSchema).optional(),
    identifier: z.object({ extractScript: z.string().optional() }).passthrough().optional(),
    secrets: z.record(z.unknown()).optional(),
    interfaces: z.record(z.object({ name: z.string(), version: z.string().optional() }).passthrough()).optional(),
    readme: z.string().optional(),
    icon: z.string().optional(),
  })
  .passthrough()

// The bring-your-own-app fields: in the manual configuration, never in the default (one-click) one.
const APP_CREDENTIALS = ['clientId', 'clientSecret', 'appId', 'developerApiKey']

const decoded = (base64: string | undefined): string | undefined =>
  base64 === undefined ? undefined : Buffer.from(base64, 'base64').toString('utf8')

export const checkDeployPayload = (payload: unknown, expected: ExpectedFiles): string[] => {
  const parsed = payloadSchema.safeParse(payload)
  if (!parsed.success) return [`the uploaded definition has an unexpected shape: ${parsed.error.issues[0]?.message}`]
  const body = parsed.data
  const problems: string[] = []

  const oneClick = body.configuration
  if (!oneClick) problems.push('the default (one-click) configuration is missing')
  else {
    if (oneClick.identifier?.linkTemplateScript !== expected.linkTemplateScript) {
      problems.push("the default configuration's identifier.linkTemplateScript is not linkTemplate.vrl")
    }
    // 1.x installations keep their values as the default configuration, so it accepts the old
    // fields (optional, hidden); it must never require them.
    const credentials = APP_CREDENTIALS.filter((field) => (oneClick.schema.required ?? []).includes(field))
    if (credentials.length) {
      problems.push(`the default configuration requires app credentials: ${credentials.join(', ')}`)
    }
  }
  const manual = body.configurations?.manual
  if (!manual) problems.push('configurations.manual is missing')
  else {
    const missing = APP_CREDENTIALS.filter((field) => !(field in (manual.schema.properties ?? {})))
    if (missing.length) problems.push(`configurations.manual lacks ${missing.join(', ')}`)
  }
  if (body.identifier?.extractScript !== expected.extractScript) {
    problems.push('identifier.extractScript is not extract.vrl')
  }
  const secretNames = Object.keys(body.secrets ?? {})
  const missingSecrets = PUBLISHER_SECRETS.filter((name) => !secretNames.includes(name))
  if (missingSecrets.length) problems.push(`secrets missing: ${missingSecrets.join(', ')}`)
  if (!Object.values(body.interfaces ?? {}).some((entry) => entry.name === 'hitl')) {
    problems.push('the hitl interface is missing')
  }
  if (decoded(body.readme) !== expected.readme) problems.push('the readme is not hub.md')
  if (decoded(body.icon) !== expected.icon) problems.push('the icon is not icon.svg')
  return problems
}
