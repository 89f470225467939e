// Writes the HubSpot project of one installation, for `hs project upload`:
//   npm run hubspot-project -- <webhook URL> [--out <folder>]    (default folder: hubspot-project-out)
//   npm run hubspot-project -- --template                        (rewrites the template in hubspot-project/)
//   npm run hubspot-project -- --publisher --handle <workspace handle> [--out <folder>]
//       (the publisher app of one-click connect, for https://webhook.botpress.cloud; default folder:
//        hubspot-publisher-project; the handle is the one of the Botpress workspace you deploy from)
// The files are the ones the integration serves at <webhook URL>/hubspot-project.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { deployedIntegrationName, WORKSPACE_HANDLE_PATTERN } from '../definitions'
import { projectFiles, publisherProjectFiles, TEMPLATE_WEBHOOK_URL } from '../src/hitl/project-files'

const args = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const index = args.indexOf(name)
  return index >= 0 ? args[index + 1] : undefined
}
if (args.includes('--publisher')) {
  const base = process.env.BP_WEBHOOK_URL || 'https://webhook.botpress.cloud'
  const handle = option('--handle')
  if (!handle || !WORKSPACE_HANDLE_PATTERN.test(handle)) {
    console.error(
      'Usage: npm run hubspot-project -- --publisher --handle <workspace handle> [--out <folder>]. bp deploy names the integration <workspace handle>/hubspot-inbox-hitl, and its global route, where the app webhooks go, carries that name: give the handle of the Botpress workspace you deploy from (Botpress > Workspace settings, or what bp deploy proposes).'
    )
    process.exit(2)
  }
  const out = resolve(option('--out') ?? 'hubspot-publisher-project')
  for (const file of publisherProjectFiles(base, handle)) {
    const path = join(out, file.path)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, file.content)
  }
  console.log(
    `Wrote the publisher app's HubSpot project (redirect ${base}/oauth, webhooks to ${base}/integration/global/${deployedIntegrationName(handle)}) to ${out}. Next: cd ${out} && hs project upload`
  )
  process.exit(0)
}
const template = args.includes('--template')
const webhookUrl = template
  ? TEMPLATE_WEBHOOK_URL
  : args.find((arg, index) => !arg.startsWith('--') && args[index - 1] !== '--out')

const usage =
  'Usage: npm run hubspot-project -- <webhook URL> [--out <folder>], e.g. npm run hubspot-project -- https://webhook.botpress.cloud/0a1b2c3d-4e5f-6789-abcd-ef0123456789'
if (!webhookUrl) {
  console.error(usage)
  process.exit(2)
}
let parsed: URL
try {
  parsed = new URL(webhookUrl)
} catch {
  console.error(`"${webhookUrl}" is not a URL. ${usage}`)
  process.exit(2)
}
if (parsed.protocol !== 'https:' && !template) {
  console.warn(`warning: ${webhookUrl} is not https; HubSpot only calls https URLs`)
}

const out = resolve(template ? join(__dirname, '..', 'hubspot-project') : (option('--out') ?? 'hubspot-project-out'))
for (const file of projectFiles(webhookUrl.replace(/\/+$/, ''))) {
  const path = join(out, file.path)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, file.content)
}
console.log(`Wrote the HubSpot project for ${webhookUrl} to ${out}. Next: cd ${out} && hs project upload`)
