// npm run bench: every operation of the integration on the local testbed (HubSpot and Botpress
// stand-ins, integration served over HTTP in this process), with the API calls it makes, its
// latency, throughput at several concurrencies, the bundle size and the cold start. Prints a report
// and writes bench/out/results.json (ignored by git). Exits 0 even when a target is missed; non-zero only on a crash.
import { existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { closeServedIntegration } from '../testbed/world'
import { describeCall } from './call-log'
import { inspectBundle, measureColdStart, type BundleInfo, type ColdStart } from './cold-start'
import type { OperationResult } from './measure'
import {
  closeLab,
  measureRegister,
  measureSteadyState,
  openLab,
  RAISED_LIMITS,
  type OperationPlans,
} from './operations'
import { print, quietConsole, type CapturedLogs } from './quiet-console'
import {
  BASELINE,
  checkTargets,
  OPERATION_ORDER,
  printCallLists,
  printOperations,
  printTargets,
  printThroughput,
  type TargetCheck,
} from './report'
import { round2 } from './stats'
import {
  agentThroughput,
  customerThroughput,
  expiredTokenBurst,
  openCustomerSessions,
  prepareInstallations,
  type ExpiryBurst,
  type ThroughputRun,
} from './throughput'

const CONCURRENCY_LEVELS = [1, 10, 50] as const
const MESSAGES_PER_LEVEL: Record<(typeof CONCURRENCY_LEVELS)[number], number> = { 1: 150, 10: 300, 50: 500 }
const COLD_START_RUNS = 5

// BENCH_REPETITION_SCALE=0.2 gives a quick run while working on the bench itself.
const repetitionScale = (): number => {
  const value = Number(process.env.BENCH_REPETITION_SCALE ?? '1')
  return Number.isFinite(value) && value > 0 ? value : 1
}

const plansFor = (scale: number): OperationPlans => {
  const plan = (repetitions: number, warmups = 5) => ({
    repetitions: Math.max(3, Math.round(repetitions * scale)),
    warmups,
  })
  return {
    register: plan(30, 3),
    reregister: plan(50),
    createUser: plan(60),
    startHitl: plan(40),
    startHitlHistory5: plan(30),
    customerText: plan(100),
    customerImage: plan(60),
    agentAssigned: plan(60),
    agentText: plan(100),
    agentFile: plan(60),
    agentClosed: plan(60),
    stopHitl: plan(60),
  }
}

const projectRoot = (): string => {
  const root = process.cwd()
  const manifest = join(root, 'package.json')
  if (
    !existsSync(manifest) ||
    (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name !== 'hubspot-inbox-hitl'
  ) {
    throw new Error('run the bench from the project root (npm run bench)')
  }
  return root
}

const describeMachine = () => {
  const processors = cpus()
  return {
    cpus: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    totalMemoryMB: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    loadAverage1mAtStart: round2(loadavg()[0] ?? 0),
  }
}

const stage = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
  const startedAt = performance.now()
  const result = await work()
  print(`· ${label} (${((performance.now() - startedAt) / 1000).toFixed(1)} s)`)
  return result
}

const operationJson = (result: OperationResult) => ({
  hubspotCalls: result.hubspotCalls,
  botpressCalls: result.botpressCalls,
  p50Ms: result.latency.p50Ms,
  p99Ms: result.latency.p99Ms,
  meanMs: result.latency.meanMs,
  maxMs: result.latency.maxMs,
  repetitions: result.repetitions,
  failures: result.failures,
  timing: result.timing,
  hubspotWrites: result.hubspotWrites,
  botpressWrites: result.botpressWrites,
  callsFromWebhooksItCaused: { hubspot: result.causedHubspotCalls, botpress: result.causedBotpressCalls },
  callsVariedBetweenRepetitions: result.countsVaried,
  ...(result.deliveryLatency
    ? { webhookDeliveryP50Ms: result.deliveryLatency.p50Ms, webhookDeliveryP99Ms: result.deliveryLatency.p99Ms }
    : {}),
  calls: { hubspot: result.calls.hubspot.map(describeCall), botpress: result.calls.botpress.map(describeCall) },
  problems: result.problems,
})

const perLevel = (runs: ThroughputRun[]): Record<string, number> =>
  Object.fromEntries(runs.map((run) => [String(run.concurrency), run.messagesPerSecond]))

const logsJson = (logs: CapturedLogs) => ({
  warnings: Object.fromEntries(logs.warnings),
  errors: Object.fromEntries(logs.errors),
})

const RATE_LIMIT_NOTE =
  `HubSpot stand-in limits raised to ${RAISED_LIMITS.rateLimitPer10s} bearer calls per 10 s and ${RAISED_LIMITS.searchRateLimitPerSecond} ` +
  'CRM searches per second (HubSpot: 110 and 5) for every measurement, so the figures measure the integration, not the limiter.'

const AGENT_CONCURRENCY_NOTE =
  'Agent messages at concurrency C use C installations (C custom channels, C webhook URLs) served by the same process: ' +
  'the HubSpot stand-in delivers one webhook at a time per URL.'

const ATTRIBUTION_NOTE =
  "Calls are read from the stand-ins' call logs; during a measured window only the integration calls their APIs " +
  '(the driver, the agent controls and the webhook relay work in-process or are not logged, customer files are hosted before the window opens). ' +
  "Byte transfers to and from Botpress file URLs are not in the Botpress log (not /v1 calls); downloads from HubSpot's /hubfs are in the HubSpot log."

const TIMING_NOTE =
  'Driver operations are timed from the request Botpress would send until the integration answers; agent operations from the action in ' +
  'HubSpot until its effect (message or event) appears in the Botpress stand-in. "echo" counts calls made by the webhooks the operation caused.'

const main = async (): Promise<void> => {
  const startedAt = performance.now()
  const root = projectRoot()
  const logs = quietConsole()
  const machine = describeMachine()
  const plans = plansFor(repetitionScale())
  print(
    `HubSpot Inbox HITL benchmark — ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${machine.platform}/${machine.arch}`
  )
  print(RATE_LIMIT_NOTE)
  print()

  const register = await stage('register on fresh worlds', () => measureRegister(plans.register))
  const lab = await openLab()
  let operations: OperationResult[] = []
  const customerRuns: ThroughputRun[] = []
  const agentRuns: ThroughputRun[] = []
  let burst: ExpiryBurst | undefined
  try {
    operations = [register, ...(await stage('operations on one installation', () => measureSteadyState(lab, plans)))]
    const sessions = await stage('50 customer sessions opened', () => openCustomerSessions(lab, 50))
    await customerThroughput(lab, sessions, 10, 50)
    for (const level of CONCURRENCY_LEVELS) {
      customerRuns.push(
        await stage(`customer messages at concurrency ${level}`, () =>
          customerThroughput(lab, sessions, level, MESSAGES_PER_LEVEL[level])
        )
      )
    }
    const installations = await stage('50 installations prepared for the agent side', () =>
      prepareInstallations(lab, 50)
    )
    for (const level of CONCURRENCY_LEVELS) {
      agentRuns.push(
        await stage(`agent messages at concurrency ${level}`, () =>
          agentThroughput(lab, installations, level, MESSAGES_PER_LEVEL[level])
        )
      )
    }
    burst = await stage('every access token expired, 50 customer messages at once', () =>
      expiredTokenBurst(lab, sessions)
    )
  } finally {
    await closeLab(lab)
    await closeServedIntegration()
  }

  let bundle: BundleInfo | undefined
  let coldStart: ColdStart | undefined
  let coldStartProblem: string | undefined
  try {
    bundle = inspectBundle(root)
    coldStart = await stage('cold starts of dist/index.cjs', () => measureColdStart(bundle!.path, COLD_START_RUNS))
  } catch (error) {
    coldStartProblem = error instanceof Error ? error.message : String(error)
  }

  const byName = new Map(operations.map((result) => [result.name, result]))
  const ordered = OPERATION_ORDER.map((name) => byName.get(name)).filter(
    (result): result is OperationResult => result !== undefined
  )
  const extra = byName.get('startHitlHistory5')
  const concurrency50 = {
    customer: customerRuns.find((run) => run.concurrency === 50),
    agent: agentRuns.find((run) => run.concurrency === 50),
  }
  const targets: TargetCheck[] = checkTargets(byName, concurrency50, burst)
  const benchSeconds = round2((performance.now() - startedAt) / 1000)

  print()
  printOperations(ordered)
  if (extra) {
    print(
      `startHitl with a 5-message history (the baseline's case): ${extra.hubspotCalls} HubSpot / ${extra.botpressCalls} Botpress, ` +
        `p50 ${extra.latency.p50Ms.toFixed(1)} ms, p99 ${extra.latency.p99Ms.toFixed(1)} ms — baseline ${BASELINE.operations.startHitl.hubspotCalls} / ${BASELINE.operations.startHitl.botpressCalls}`
    )
  }
  print()
  print(TIMING_NOTE)
  print(ATTRIBUTION_NOTE)
  print()
  print('Calls per operation (one typical repetition; IDs replaced by placeholders)')
  printCallLists(extra ? [...ordered, extra] : ordered)
  print()
  print('Throughput (wall clock from the first message until every webhook was handled)')
  printThroughput(customerRuns, agentRuns)
  print(RATE_LIMIT_NOTE)
  print(AGENT_CONCURRENCY_NOTE)
  for (const run of [...customerRuns, ...agentRuns]) {
    for (const problem of run.problems) print(`  problem at concurrency ${run.concurrency}: ${problem}`)
  }
  print()
  if (bundle) {
    const stale = bundle.olderThanSources
      ? ' — older than src/ or definitions/: run npm run build for current figures'
      : ''
    print(
      `Bundle dist/index.cjs: ${bundle.bytes} bytes (${bundle.gzipBytes} gzipped)${bundle.builtNow ? ', built for this run' : ''}${stale}`
    )
  }
  if (coldStart) {
    print(
      `Cold start (spawn node, require the bundle, start(port), until a ping operation answers): p50 ${coldStart.coldStartMs.toFixed(1)} ms over ${coldStart.runs} runs (${coldStart.samplesMs.join(', ')} ms)`
    )
  }
  if (coldStartProblem) print(`Cold start not measured: ${coldStartProblem}`)
  print()
  printTargets(targets)
  print()
  const warningCount = [...logs.warnings.values()].reduce((total, count) => total + count, 0)
  const errorCount = [...logs.errors.values()].reduce((total, count) => total + count, 0)
  print(`Integration log lines: ${warningCount} warnings, ${errorCount} errors`)
  for (const [line, count] of [...logs.warnings, ...logs.errors]) print(`  ${count} × ${line}`)
  print(`Bench finished in ${benchSeconds.toFixed(1)} s`)

  const results = {
    machine: { ...machine, loadAverage1mAtEnd: round2(loadavg()[0] ?? 0) },
    generatedAt: new Date().toISOString(),
    benchSeconds,
    notes: [RATE_LIMIT_NOTE, ATTRIBUTION_NOTE, TIMING_NOTE, AGENT_CONCURRENCY_NOTE],
    operations: Object.fromEntries(ordered.map((result) => [result.name, operationJson(result)])),
    extraOperations: extra ? { startHitlWith5MessageHistory: operationJson(extra) } : {},
    throughput: {
      customerMessagesPerSecond: perLevel(customerRuns),
      agentMessagesPerSecond: perLevel(agentRuns),
      rateLimits: { ...RAISED_LIMITS, note: RATE_LIMIT_NOTE },
      tokenRefreshesAtConcurrency50: {
        customer: concurrency50.customer?.tokenRefreshes,
        agent: concurrency50.agent?.tokenRefreshes,
      },
      runs: { customer: customerRuns, agent: agentRuns },
    },
    tokenExpiryBurst: burst,
    bundleBytes: bundle?.bytes,
    bundleGzipBytes: bundle?.gzipBytes,
    bundleOlderThanSources: bundle?.olderThanSources,
    coldStartMs: coldStart?.coldStartMs,
    coldStart: coldStart ?? { problem: coldStartProblem },
    baseline: BASELINE,
    targets,
    integrationLogs: logsJson(logs),
  }
  mkdirSync(join(root, 'bench', 'out'), { recursive: true })
  writeFileSync(join(root, 'bench', 'out', 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  print('Wrote bench/out/results.json')
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  }
)
