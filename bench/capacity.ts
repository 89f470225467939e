// How many conversations one HubSpot portal carries. The HubSpot stand-in enforces HubSpot's real
// limits; the integration runs with its per-portal budget. A calibration step measures what the
// integration's realistic mix costs in HubSpot calls per exchange, which gives the theoretical
// bound (110 calls per 10 s divided by that cost); then the offered load steps up as fractions of
// the bound until a message is lost or p99 passes 10 s.
//
//   npm run capacity                                   (see --help)
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { format } from 'node:util'
import { startWorldOnProcesses } from '../testbed/multi-process'
import { closeServedIntegration, startWorld } from '../testbed/world'
import { CapacityDriver, DEFAULT_MIX, HUBSPOT_CALLS_PER_SECOND, type StepResult } from './capacity-run'

type Options = {
  fractions: number[]
  stepMs: number
  calibrationRate: number
  sessions: number
  processes: number
  churn?: number
  out: string
}

const parse = (argv: string[]): Options => {
  const options: Options = {
    fractions: [0.5, 0.75, 0.9, 0.95, 1.0, 1.1, 1.25, 1.5],
    stepMs: 20_000,
    calibrationRate: 1.5,
    sessions: 3,
    processes: 1,
    out: 'bench/out/capacity.json',
  }
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined]
    const value = () => inline ?? argv[++i] ?? ''
    if (flag === '--help') {
      console.log(
        'npm run capacity -- [--fractions 0.5,0.9,1,1.25] [--step-ms 20000] [--calibration-rate 1.5] [--sessions 3] [--processes 1] [--churn K: each process answers K requests, then a fresh one replaces it] [--out bench/out/capacity.json]'
      )
      process.exit(0)
    } else if (flag === '--fractions') {
      options.fractions = value()
        .split(',')
        .map(Number)
        .filter((n) => n > 0)
    } else if (flag === '--step-ms') options.stepMs = Number(value())
    else if (flag === '--calibration-rate') options.calibrationRate = Number(value())
    else if (flag === '--sessions') options.sessions = Number(value())
    else if (flag === '--processes') options.processes = Number(value())
    else if (flag === '--churn') options.churn = Number(value())
    else if (flag === '--out') options.out = value()
    else throw new Error(`unknown option ${flag} (try --help)`)
  }
  return options
}

// The integration logs through console; its lines are counted, not printed, during the run.
const muteConsole = () => {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const
  const originals = methods.map((name) => [name, console[name]] as const)
  const warnings = new Map<string, number>()
  for (const name of methods) {
    console[name] = (...args: unknown[]) => {
      if (name !== 'warn' && name !== 'error') return
      const line = format(...args)
        .replace(/\d{3,}|conv_\w+/g, '#')
        .slice(0, 140)
      warnings.set(line, (warnings.get(line) ?? 0) + 1)
    }
  }
  return {
    print: (...args: unknown[]) => originals[0]![1](...args),
    restore: () => {
      for (const [name, original] of originals) console[name] = original as never
    },
    warnings: () => Object.fromEntries([...warnings.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)),
  }
}

const healthy = (step: StepResult) =>
  step.customerToAgent.lost + step.agentToCustomer.lost === 0 &&
  step.customerToAgent.duplicated + step.agentToCustomer.duplicated === 0 &&
  step.customerToAgent.outOfOrder + step.agentToCustomer.outOfOrder === 0 &&
  Math.max(step.customerToAgent.p99Ms, step.agentToCustomer.p99Ms) <= 10_000

const row = (label: string, step: StepResult) =>
  [
    label.padEnd(12),
    `${step.offeredExchangesPerSecond.toFixed(2)}/s offered`.padEnd(16),
    `${step.achievedExchangesPerSecond.toFixed(2)}/s done`.padEnd(14),
    `${(step.ratioToBound * 100).toFixed(0)}% of ${step.boundExchangesPerSecond}/s bound`.padEnd(20),
    `${step.escalationsPerMinute.toFixed(1)} esc/min (p99 ${(step.escalationP99Ms / 1000).toFixed(1)} s)`.padEnd(26),
    `429 ${(step.share429 * 100).toFixed(1)}%`.padEnd(10),
    `c→a p50 ${step.customerToAgent.p50Ms} p99 ${step.customerToAgent.p99Ms} ms`.padEnd(28),
    `a→c p50 ${step.agentToCustomer.p50Ms} p99 ${step.agentToCustomer.p99Ms} ms`.padEnd(28),
    `redeliveries needed ${step.redeliveriesNeeded}`.padEnd(24),
    `lost ${step.customerToAgent.lost + step.agentToCustomer.lost} doubled ${step.customerToAgent.duplicated + step.agentToCustomer.duplicated} reordered ${step.customerToAgent.outOfOrder + step.agentToCustomer.outOfOrder}`,
  ].join(' ')

const main = async () => {
  const options = parse(process.argv.slice(2))
  const out = muteConsole()
  const started = Date.now()
  // With --processes, the integration runs as that many processes behind one URL, as Botpress Cloud
  // runs it: each keeps its own budget, and HubSpot's count of the shared window ties them together.
  // With --churn, each process answers only that many requests before a fresh one replaces it, as
  // Botpress Cloud's short-lived instances do: a fresh process knows nothing of the portal's window.
  const { w, pool } =
    options.processes > 1 || options.churn
      ? await startWorldOnProcesses(options.processes, {}, { churn: options.churn })
      : { w: await startWorld(), pool: undefined }
  // HubSpot's limits as HubSpot applies them (the stand-in's defaults, written out).
  w.hs.settings.rateLimitPer10s = 110
  w.hs.settings.searchRateLimitPerSecond = 5
  // Like HubSpot, up to 10 webhook deliveries in flight per target.
  w.hs.settings.webhookConcurrency = 10
  const driver = new CapacityDriver(w, DEFAULT_MIX)
  await driver.open(options.sessions)

  const calibration = await driver.step(options.calibrationRate, options.stepMs)
  const bound = HUBSPOT_CALLS_PER_SECOND / calibration.callsPerExchange
  out.print(
    `Calibration at ${options.calibrationRate}/s: ${calibration.callsPerExchange} HubSpot calls per exchange with the mix ` +
      `(${DEFAULT_MIX.exchangesPerSession} exchanges per session, 1 image and 1 agent file in ${DEFAULT_MIX.imageEvery}, histories of ${DEFAULT_MIX.historyLines.join(' and ')} lines); ` +
      `bound ${bound.toFixed(2)} exchanges/s per portal`
  )
  out.print(row('calibration', calibration))

  const steps: StepResult[] = []
  // Each step's own cost per exchange refines the bound the next step is offered a fraction of (the
  // calibration's sessions are young, so it sees fewer escalations than the mix has).
  let estimate = bound
  for (const fraction of options.fractions) {
    const step = await driver.step(Number((estimate * fraction).toFixed(2)), options.stepMs)
    if (step.boundExchangesPerSecond > 0) estimate = step.boundExchangesPerSecond
    steps.push(step)
    out.print(row(`${Math.round(fraction * 100)}% bound`, step))
    if (!healthy(step)) break
  }
  const sustained = steps.filter((step) => healthy(step) && step.share429 < 0.05)
  const maximum = sustained.reduce<StepResult | undefined>(
    (best, step) => (!best || step.ratioToBound > best.ratioToBound ? step : best),
    undefined
  )
  const report = {
    processes: options.processes,
    churn: options.churn,
    processesStarted: pool?.handled.length,
    limits: {
      bearerCallsPer10s: 110,
      searchesPerSecond: 5,
      integrationBudgetPer10s: Number(process.env.HUBSPOT_CALLS_PER_10S ?? 105),
    },
    mix: DEFAULT_MIX,
    callsPerExchange: calibration.callsPerExchange,
    boundExchangesPerSecond: Number(bound.toFixed(2)),
    maximum: maximum && {
      offeredExchangesPerSecond: maximum.offeredExchangesPerSecond,
      exchangesPerSecond: maximum.achievedExchangesPerSecond,
      boundExchangesPerSecond: maximum.boundExchangesPerSecond,
      callsPerExchange: maximum.callsPerExchange,
      ratioToBound: maximum.ratioToBound,
      escalationsPerMinute: maximum.escalationsPerMinute,
      share429: maximum.share429,
      redeliveriesNeeded: maximum.redeliveriesNeeded,
      customerToAgent: maximum.customerToAgent,
      agentToCustomer: maximum.agentToCustomer,
    },
    calibration,
    steps,
    integrationWarnings: out.warnings(),
    totalMs: Date.now() - started,
  }
  driver.dispose()
  await w.close()
  await pool?.close()
  await closeServedIntegration()
  out.restore()
  mkdirSync(dirname(options.out), { recursive: true })
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`)
  console.log(
    maximum
      ? `Maximum: ${maximum.achievedExchangesPerSecond} exchanges/s per portal (${(maximum.ratioToBound * 100).toFixed(0)}% of the ${maximum.boundExchangesPerSecond}/s bound at ${maximum.callsPerExchange} calls per exchange), ` +
          `${maximum.escalationsPerMinute} escalations/min, ${(maximum.share429 * 100).toFixed(1)}% of calls answered 429, ${steps.reduce((sum, step) => sum + step.redeliveriesNeeded, 0)} redeliveries needed in all steps`
      : 'No step held: see the report'
  )
  console.log(`Written to ${options.out} in ${Math.round(report.totalMs / 1000)} s`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
