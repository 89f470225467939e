// The integration as Botpress Cloud runs it: several processes behind one URL, each request going
// to the next process in turn. Each process is the deployable bundle (built as `bp build` builds it),
// started with the world's endpoints; nothing is shared between them but the stand-ins.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { startWorld, uploadServedProject, type World, type WorldOptions } from './world'

export type ProcessPool = {
  url: string
  // How many requests each process answered, in start order.
  handled: number[]
  // Starts the processes with the environment the world set (its stand-ins' URLs).
  start(env: Record<string, string | undefined>): Promise<void>
  // Kills every process at once (SIGKILL: no cleanup, as when Botpress Cloud stops a process),
  // then starts fresh ones, as the platform does for the next request. Resolves once they are dead;
  // until their replacements answer, the pool answers 503.
  crash(): Promise<void>
  // Resolves once every process answers again.
  recovered(): Promise<void>
  close(): Promise<void>
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))

const freePort = async (): Promise<number> => {
  const probe = createServer()
  const port = await listen(probe)
  await new Promise((resolve) => probe.close(resolve))
  return port
}

const waitForHealth = async (port: number): Promise<void> => {
  for (let waited = 0; waited < 20_000; waited += 100) {
    const health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
    if (health?.ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`integration process on port ${port} did not start`)
}

const stop = (child: ChildProcess, signal: NodeJS.Signals): Promise<void> =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill(signal)
  })

// What the processes need of the world's environment (set by startWorld): the stand-ins and tunables.
export const poolEnvironment = (): Record<string, string | undefined> =>
  Object.fromEntries(
    ['HUBSPOT_API_URL', 'HUBSPOT_AUTHORIZE_URL', 'BP_API_URL', 'BP_TOKEN', 'BP_WEBHOOK_URL', 'HUBSPOT_RETRY_BASE_MS', 'HITL_PLUGIN_ACTIVATION_GRACE_MS', 'HITL_PLUGIN_LINK_MARGIN_MS', 'HITL_SESSION_LOCK_EXPIRY_MS', 'HUBSPOT_CALLS_PER_10S', 'HUBSPOT_SEARCHES_PER_SECOND'].map((key) => [key, process.env[key]])
  )

// The proxy listens at once, so the world can be given its URL before the processes exist.
export const startProcessPool = async (count: number): Promise<ProcessPool> => {
  const outfile = join(mkdtempSync(join(tmpdir(), 'hitl-pool-')), 'index.cjs')
  const children: ChildProcess[] = []
  let ports: number[] = []
  const handled = Array.from({ length: count }, () => 0)
  let next = 0
  let environment: Record<string, string | undefined> = {}
  let restarting: Promise<void> = Promise.resolve()
  const proxy = createServer((req, res) => {
    if (ports.length === 0) return void res.writeHead(503).end('integration processes not started')
    const index = next++ % ports.length
    handled[index]! += 1
    const forward = request({ host: '127.0.0.1', port: ports[index], method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    forward.on('error', () => res.writeHead(502).end())
    req.pipe(forward)
  })
  const proxyPort = await listen(proxy)

  const startAll = async () => {
    const started: number[] = []
    for (let i = 0; i < count; i++) {
      const port = await freePort()
      children.push(spawn(process.execPath, ['-e', `require(${JSON.stringify(outfile)}).default.start(${port})`], { env: { ...process.env, ...environment }, stdio: process.env.HITL_POOL_STDIO === 'inherit' ? 'inherit' : 'ignore' }))
      await waitForHealth(port)
      started.push(port)
    }
    ports = started
  }

  return {
    url: `http://127.0.0.1:${proxyPort}`,
    handled,
    start: async (env) => {
      environment = env
      await build({ entryPoints: [join(__dirname, '..', 'src', 'index.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node18', logLevel: 'silent' })
      await startAll()
    },
    crash: async () => {
      const dying = children.splice(0)
      ports = []
      await Promise.all(dying.map((child) => stop(child, 'SIGKILL')))
      restarting = startAll()
    },
    recovered: () => restarting,
    close: async () => {
      await restarting.catch(() => undefined)
      await Promise.all(children.map((child) => stop(child, 'SIGTERM')))
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve())
        proxy.closeAllConnections()
      })
    },
  }
}

// A world whose integration runs as `count` processes behind one URL, its project uploaded and
// registered, as a bot builder would leave it.
export const startWorldOnProcesses = async (count: number, options: WorldOptions = {}): Promise<{ w: World; pool: ProcessPool }> => {
  const pool = await startProcessPool(count)
  const w = await startWorld({ ...options, integrationUrl: pool.url, register: false, uploadProject: false })
  await pool.start(poolEnvironment())
  await uploadServedProject(w.hs, w.driver.webhookUrl)
  await w.driver.register()
  return { w, pool }
}
