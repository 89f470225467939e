// The figures to beat, the targets checked against ours, and the printed tables.
import { describeCall, type LoggedCall } from './call-log'
import type { OperationResult } from './measure'
import { print } from './quiet-console'
import type { ExpiryBurst, ThroughputRun } from './throughput'

export const OPERATION_ORDER = [
  'register',
  'reregister',
  'createUser',
  'startHitl',
  'customerText',
  'customerImage',
  'agentAssigned',
  'agentText',
  'agentFile',
  'agentClosed',
  'stopHitl',
] as const

export type BaselineFigure = { hubspotCalls: number; botpressCalls: number; note?: string }

// The Hub's previous integration, plus/hubspot-hitl.
export const BASELINE = {
  source: "the Botpress Hub's previous integration, plus/hubspot-hitl",
  operations: {
    register: { hubspotCalls: 4, botpressCalls: 4, note: 'a second save creates a second channel' },
    startHitl: { hubspotCalls: 1, botpressCalls: 6, note: 'with a 5-message history' },
    customerText: { hubspotCalls: 1, botpressCalls: 4 },
    agentAssigned: { hubspotCalls: 2, botpressCalls: 5 },
    agentText: { hubspotCalls: 0, botpressCalls: 3, note: 'agent reply' },
  } satisfies Record<string, BaselineFigure>,
}

export type TargetCheck = { target: string; pass: boolean; detail: string }

const routes = (calls: LoggedCall[]): string =>
  calls.length ? calls.map((call) => `${call.method} ${call.route}`).join(', ') : 'none'

const failedRuns = (result: OperationResult | undefined): string | undefined => {
  if (!result) return 'not measured'
  if (result.repetitions === 0) return `every repetition failed: ${result.problems[0] ?? 'unknown error'}`
  return undefined
}

export const checkTargets = (
  operations: Map<string, OperationResult>,
  concurrency50: { customer?: ThroughputRun; agent?: ThroughputRun },
  burst: ExpiryBurst | undefined
): TargetCheck[] => {
  const checks: TargetCheck[] = []
  const check = (
    target: string,
    name: string,
    evaluate: (result: OperationResult) => { pass: boolean; detail: string }
  ) => {
    const result = operations.get(name)
    const broken = failedRuns(result)
    checks.push(
      broken || !result ? { target, pass: false, detail: broken ?? 'not measured' } : { target, ...evaluate(result) }
    )
  }

  check('customerText: 1 HubSpot call, at most 1 Botpress call (the ack), no state read', 'customerText', (result) => {
    const stateReads = result.calls.botpress.filter((call) => call.method === 'GET' && call.route.includes('/states/'))
    return {
      pass: result.hubspotCalls === 1 && result.botpressCalls <= 1 && stateReads.length === 0,
      detail: `${result.hubspotCalls} HubSpot (${routes(result.calls.hubspot)}), ${result.botpressCalls} Botpress (${routes(result.calls.botpress)}), ${stateReads.length} state reads`,
    }
  })
  // HubSpot shows the reply SENT already (its published example), so the timeline read is the one call.
  check('agentText: 1 Botpress write, 1 HubSpot call (the timeline read)', 'agentText', (result) => ({
    pass: result.botpressWrites === 1 && result.hubspotCalls <= 1,
    detail: `${result.botpressWrites} Botpress writes of ${result.botpressCalls} calls (${routes(result.calls.botpress)}), ${result.hubspotCalls} HubSpot (${routes(result.calls.hubspot)})`,
  }))
  check('agentAssigned (agent already known): at most 1 HubSpot call', 'agentAssigned', (result) => ({
    pass: result.hubspotCalls <= 1,
    detail: `${result.hubspotCalls} HubSpot (${routes(result.calls.hubspot)})`,
  }))
  check('reregister: no writes to HubSpot', 'reregister', (result) => ({
    pass: result.hubspotWrites === 0,
    detail: `${result.hubspotWrites} non-GET HubSpot calls of ${result.hubspotCalls} (${routes(result.calls.hubspot)})`,
  }))

  const warmRuns = [concurrency50.customer, concurrency50.agent]
  const refreshes = warmRuns.reduce((total, run) => total + (run?.tokenRefreshes ?? 0), 0)
  checks.push({
    target: 'token: no refresh while warm at concurrency 50 (POST /oauth/2026-03/token)',
    pass: warmRuns.every((run) => run !== undefined) && refreshes === 0,
    detail: `customer run ${concurrency50.customer?.tokenRefreshes ?? 'not run'}, agent run ${concurrency50.agent?.tokenRefreshes ?? 'not run'}`,
  })
  checks.push({
    target: 'token: at most 1 refresh when all tokens expire under concurrency 50',
    pass: burst !== undefined && burst.tokenRefreshes <= 1 && burst.failures === 0,
    detail: burst
      ? `${burst.tokenRefreshes} refreshes for ${burst.concurrency} concurrent messages (${burst.rejectedWith401} calls answered 401, ${burst.failures} messages failed)`
      : 'not run',
  })
  return checks
}

const pad = (cells: string[], widths: number[], rightAligned: boolean[]): string =>
  cells
    .map((cell, index) => (rightAligned[index] ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
    .join('  ')
    .trimEnd()

export const printTable = (header: string[], rows: string[][], rightAligned: boolean[]): void => {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index]?.length ?? 0)))
  print(pad(header, widths, rightAligned))
  print(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const row of rows) print(pad(row, widths, rightAligned))
}

const fixed = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '–')

export const printOperations = (results: OperationResult[]): void => {
  const baseline: Record<string, BaselineFigure | undefined> = BASELINE.operations
  printTable(
    ['operation', 'reps', 'HubSpot', 'Botpress', 'p50 ms', 'p99 ms', 'timed as', 'baseline HS / BP'],
    results.map((result) => {
      const figure = baseline[result.name]
      return [
        result.name,
        `${result.repetitions}${result.failures ? ` (+${result.failures} failed)` : ''}`,
        `${result.hubspotCalls}${result.causedHubspotCalls ? ` (${result.causedHubspotCalls} echo)` : ''}`,
        `${result.botpressCalls}${result.causedBotpressCalls ? ` (${result.causedBotpressCalls} echo)` : ''}`,
        fixed(result.latency.p50Ms),
        fixed(result.latency.p99Ms),
        result.timing,
        figure ? `${figure.hubspotCalls} / ${figure.botpressCalls}${figure.note ? ` (${figure.note})` : ''}` : '',
      ]
    }),
    [false, true, true, true, true, true, false, false]
  )
}

export const printCallLists = (results: OperationResult[]): void => {
  for (const result of results) {
    const varied = result.countsVaried ? '  [calls varied between repetitions; the most common set is shown]' : ''
    print(`${result.name}${varied}`)
    print(`  HubSpot (${result.hubspotCalls}):`)
    for (const call of result.calls.hubspot) print(`    ${describeCall(call)}`)
    print(`  Botpress (${result.botpressCalls}):`)
    for (const call of result.calls.botpress) print(`    ${describeCall(call)}`)
    if (result.deliveryLatency) {
      print(
        `  webhook deliveries answered in p50 ${fixed(result.deliveryLatency.p50Ms)} ms, p99 ${fixed(result.deliveryLatency.p99Ms)} ms`
      )
    }
    for (const problem of result.problems) print(`  problem: ${problem}`)
  }
}

export const printThroughput = (customer: ThroughputRun[], agent: ThroughputRun[]): void => {
  const levels = [...new Set([...customer, ...agent].map((run) => run.concurrency))].sort((a, b) => a - b)
  const cell = (runs: ThroughputRun[], level: number): string => {
    const run = runs.find((candidate) => candidate.concurrency === level)
    if (!run) return '–'
    return `${run.messagesPerSecond.toFixed(0)}/s (p50 ${fixed(run.latency.p50Ms)} ms, p99 ${fixed(run.latency.p99Ms)} ms)${run.failures ? ` ${run.failures} failed` : ''}`
  }
  printTable(
    ['messages', ...levels.map((level) => `concurrency ${level}`)],
    [
      ['customer → HubSpot', ...levels.map((level) => cell(customer, level))],
      ['agent → Botpress', ...levels.map((level) => cell(agent, level))],
    ],
    [false, ...levels.map(() => true)]
  )
}

export const printTargets = (checks: TargetCheck[]): void => {
  for (const check of checks) print(`${check.pass ? 'PASS' : 'FAIL'}  ${check.target} — ${check.detail}`)
}
