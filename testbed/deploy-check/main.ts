// npm run deploy-check: the real Botpress CLI's `bp deploy --dryRun` against a local stand-in of
// Botpress's admin API, with dummy publisher secrets; the definition it would upload is checked.
// Exit 0: everything is there; 1: the check failed (what is missing is printed); 2: the CLI
// crashed or uploaded nothing (its bundler, esbuild, has crashed before: try again).
// The CLI is ../shared/tools/bp (or BP_CLI).
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startAdminApiStandIn } from '../botpress/admin-api'
import { checkDeployPayload, PUBLISHER_SECRETS } from './check'

const root = resolve(__dirname, '..', '..')
const CLI_TIMEOUT_MS = 5 * 60_000

const runCli = (cli: string, args: string[]): Promise<{ code: number | null; output: string }> =>
  new Promise((done) => {
    const child = spawn(cli, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-20_000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => child.kill('SIGTERM'), CLI_TIMEOUT_MS)
    child.on('error', (error) => {
      clearTimeout(timer)
      done({ code: null, output: `${output}\n${error.message}` })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, output })
    })
  })

const main = async (): Promise<number> => {
  const cli = process.env.BP_CLI ?? join(root, '..', 'shared', 'tools', 'bp')
  if (!existsSync(cli)) {
    console.error(`deploy-check: no Botpress CLI at ${cli} (set BP_CLI)`)
    return 2
  }
  const api = await startAdminApiStandIn()
  try {
    const { code, output } = await runCli(cli, [
      'deploy',
      '--dryRun',
      '--confirm',
      '--apiUrl',
      api.url,
      '--token',
      api.token,
      '--workspaceId',
      api.workspaceId,
      '--botpressHome',
      join(root, '.botpress', 'deploy-check-home'),
      ...PUBLISHER_SECRETS.flatMap((name) => ['--secrets', `${name}=deploy-check-dummy`]),
    ])
    const payload = api.validatedIntegration()
    if (!payload) {
      console.error(output.split('\n').slice(-20).join('\n'))
      console.error(`deploy-check: the CLI uploaded nothing (exit ${code}); routes called:`)
      for (const request of api.requests) console.error(`  ${request.method} ${request.path}`)
      return 2
    }
    const problems = checkDeployPayload(payload, {
      linkTemplateScript: readFileSync(join(root, 'linkTemplate.vrl'), 'utf8'),
      extractScript: readFileSync(join(root, 'extract.vrl'), 'utf8'),
      readme: readFileSync(join(root, 'hub.md'), 'utf8'),
      icon: readFileSync(join(root, 'icon.svg'), 'utf8'),
    })
    if (problems.length) {
      console.error('deploy-check failed: the definition bp deploy uploads lacks')
      for (const problem of problems) console.error(`  - ${problem}`)
      return 1
    }
    console.log(
      `deploy-check: bp deploy --dryRun uploads both configurations, linkTemplate.vrl and extract.vrl, the secrets ${PUBLISHER_SECRETS.join(', ')}, the hitl interface, hub.md and the icon (${api.requests.length} admin API requests)`
    )
    return 0
  } finally {
    await api.close()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('deploy-check:', error)
    process.exit(2)
  }
)
