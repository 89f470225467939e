// The integration as Botpress Cloud runs it: several processes behind one URL, each request going
// to the next process in turn. Each process is the deployable bundle (built as `bp build` builds it),
// started with the world's endpoints; nothing is shared between them but the stand-ins.
import { build } from 'esbuild'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startWorld, uploadServedProject, type World, type WorldOptions } from './world'

// The integration as one file, as Botpress Cloud runs it: what every pool's processes load.
const bundleIntegration = (outfile: string) =>
  build({
    entryPoints: [join(__dirname, '..', 'src', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    logLevel: 'silent',
  })

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

const waitForHealth = async (port: number, pollMs = 100): Promise<void> => {
  for (let waited = 0; waited < 20_000; waited += pollMs) {
    const health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
    if (health?.ok) return
    await new Promise((resolve) => setTimeout(resolve, pollMs))
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
    [
      'HUBSPOT_API_URL',
      'HUBSPOT_AUTHORIZE_URL',
      'BP_API_URL',
      'BP_TOKEN',
      'BP_WEBHOOK_URL',
      'HUBSPOT_RETRY_BASE_MS',
      'HITL_PLUGIN_ACTIVATION_GRACE_MS',
      'HITL_PLUGIN_LINK_MARGIN_MS',
      'HITL_SESSION_LOCK_EXPIRY_MS',
      'HUBSPOT_CALLS_PER_10S',
      'HUBSPOT_SEARCHES_PER_SECOND',
    ].map((key) => [key, process.env[key]])
  )

export type PoolOptions = {
  // Short-lived processes, as Botpress Cloud runs them: each process answers only this many
  // requests, then is replaced by a fresh one (its requests in flight finish first).
  churn?: number
}

// The proxy listens at once, so the world can be given its URL before the processes exist.
export const startProcessPool = async (count: number, options: PoolOptions = {}): Promise<ProcessPool> => {
  if (options.churn !== undefined && options.churn > 0) return startChurningPool(count, options.churn)
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
    const forward = request(
      { host: '127.0.0.1', port: ports[index], method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    forward.on('error', () => res.writeHead(502).end())
    req.pipe(forward)
  })
  const proxyPort = await listen(proxy)

  const startAll = async () => {
    const started: number[] = []
    for (let i = 0; i < count; i++) {
      const port = await freePort()
      children.push(
        spawn(process.execPath, ['-e', `require(${JSON.stringify(outfile)}).default.start(${port})`], {
          env: { ...process.env, ...environment },
          stdio: process.env.HITL_POOL_STDIO === 'inherit' ? 'inherit' : 'ignore',
        })
      )
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
      await bundleIntegration(outfile)
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

type Live = { child: ChildProcess; port: number; taken: number; inFlight: number }

const spawnProcess = async (outfile: string, environment: Record<string, string | undefined>): Promise<Live> => {
  const port = await freePort()
  const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(outfile)}).default.start(${port})`], {
    env: { ...process.env, ...environment },
    stdio: process.env.HITL_POOL_STDIO === 'inherit' ? 'inherit' : 'ignore',
  })
  await waitForHealth(port, 20)
  return { child, port, taken: 0, inFlight: 0 }
}

// `count` slots, each holding one process at a time. A process that has taken `churn` requests takes
// no more: its slot starts a fresh one at once, and the old one is stopped when its last request is
// answered. A request that finds every slot between processes waits for the first fresh one.
const startChurningPool = async (count: number, churn: number): Promise<ProcessPool> => {
  const outfile = join(mkdtempSync(join(tmpdir(), 'hitl-pool-')), 'index.cjs')
  const slots: (Live | undefined)[] = Array.from({ length: count }, () => undefined)
  const handled: number[] = []
  const all: Live[] = []
  const waiting: (() => void)[] = []
  const starting = new Set<Promise<void>>()
  let environment: Record<string, string | undefined> = {}
  let next = 0
  let closed = false

  const fill = (index: number): Promise<void> => {
    const started = spawnProcess(outfile, environment).then((live) => {
      all.push(live)
      handled.push(0)
      if (closed) return void stop(live.child, 'SIGTERM')
      slots[index] = live
      for (const wake of waiting.splice(0)) wake()
    })
    starting.add(started)
    void started.finally(() => starting.delete(started))
    return started
  }
  const retire = (live: Live) => {
    if (live.inFlight === 0 && live.taken >= churn) void stop(live.child, 'SIGTERM')
  }
  const take = async (): Promise<Live> => {
    for (;;) {
      for (let i = 0; i < count; i++) {
        const index = (next + i) % count
        const live = slots[index]
        if (!live) continue
        next = index + 1
        live.taken += 1
        handled[all.indexOf(live)]! += 1
        if (live.taken >= churn) {
          slots[index] = undefined
          void fill(index)
        }
        return live
      }
      await new Promise<void>((resolve) => waiting.push(resolve))
    }
  }
  const proxy = createServer((req, res) => {
    void take().then((live) => {
      live.inFlight += 1
      const done = () => {
        live.inFlight -= 1
        retire(live)
      }
      const forward = request(
        { host: '127.0.0.1', port: live.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
          answer.on('end', done)
        }
      )
      forward.on('error', () => {
        res.writeHead(502).end()
        done()
      })
      req.pipe(forward)
    })
  })
  const proxyPort = await listen(proxy)
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    handled,
    start: async (env) => {
      environment = env
      await bundleIntegration(outfile)
      await Promise.all(slots.map((_, index) => fill(index)))
    },
    crash: async () => {
      throw new Error('a churning pool replaces its processes itself')
    },
    recovered: async () => {
      await Promise.all([...starting])
    },
    close: async () => {
      closed = true
      await Promise.all([...starting].map((p) => p.catch(() => undefined)))
      await Promise.all(all.map((live) => stop(live.child, 'SIGTERM')))
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve())
        proxy.closeAllConnections()
      })
    },
  }
}

// A world whose integration runs as `count` processes behind one URL, its project uploaded and
// registered, as a bot builder would leave it.
export const startWorldOnProcesses = async (
  count: number,
  options: WorldOptions = {},
  poolOptions: PoolOptions = {}
): Promise<{ w: World; pool: ProcessPool }> => {
  const pool = await startProcessPool(count, poolOptions)
  const w = await startWorld({ ...options, integrationUrl: pool.url, register: false, uploadProject: false })
  await pool.start(poolEnvironment())
  await uploadServedProject(w.hs, w.driver.webhookUrl)
  await w.driver.register()
  return { w, pool }
}
