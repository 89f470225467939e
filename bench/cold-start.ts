// The built bundle: its size, and how long a fresh node process takes from spawn until the
// integration answers a `ping` operation sent with the headers Botpress sends.
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { gzipSync } from 'node:zlib'
import { round2, summarise, type LatencySummary } from './stats'

export type BundleInfo = {
  path: string
  bytes: number
  gzipBytes: number
  builtNow: boolean
  olderThanSources: boolean
}

const newestModification = (directory: string): number => {
  let newest = 0
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestModification(path) : statSync(path).mtimeMs)
  }
  return newest
}

export const inspectBundle = (root: string): BundleInfo => {
  const path = join(root, 'dist', 'index.cjs')
  const builtNow = !existsSync(path)
  if (builtNow) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' })
  const { size, mtimeMs } = statSync(path)
  return {
    path,
    bytes: size,
    gzipBytes: gzipSync(readFileSync(path)).length,
    builtNow,
    olderThanSources:
      mtimeMs < Math.max(newestModification(join(root, 'src')), newestModification(join(root, 'definitions'))),
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const pingHeaders = {
  'content-type': 'application/json',
  'x-bot-id': 'bench-bot',
  'x-bot-user-id': 'bench-bot',
  'x-integration-id': 'bench-integration',
  'x-integration-alias': 'hubspot-inbox-hitl',
  'x-webhook-id': 'bench-webhook',
  'x-bp-operation': 'ping',
  'x-bp-configuration': Buffer.from('{}').toString('base64'),
}

const answersPing = async (port: number): Promise<boolean> => {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: pingHeaders,
      body: '{}',
      signal: AbortSignal.timeout(2_000),
    })
    await response.arrayBuffer()
    return response.ok
  } catch {
    return false
  }
}

const POLL_INTERVAL_MS = 2
const GIVE_UP_AFTER_MS = 20_000

const oneColdStart = async (bundlePath: string): Promise<number> => {
  const port = await freePort()
  const script = `require(${JSON.stringify(bundlePath)}).default.start(${port})`
  const startedAt = performance.now()
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    while (performance.now() - startedAt < GIVE_UP_AFTER_MS) {
      if (child.exitCode !== null) throw new Error(`the bundle exited with code ${child.exitCode} before answering`)
      if (await answersPing(port)) return performance.now() - startedAt
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS))
    }
    throw new Error(`the bundle did not answer ping within ${GIVE_UP_AFTER_MS} ms`)
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  }
}

export type ColdStart = { coldStartMs: number; runs: number; latency: LatencySummary; samplesMs: number[] }

export const measureColdStart = async (bundlePath: string, runs: number): Promise<ColdStart> => {
  const samples: number[] = []
  for (let run = 0; run < runs; run++) samples.push(await oneColdStart(bundlePath))
  const latency = summarise(samples)
  return { coldStartMs: latency.p50Ms, runs, latency, samplesMs: samples.map(round2) }
}
