// One operation measured over many repetitions: per repetition the calls logged in its window and
// its duration; over all of them the call counts (the most common, and whether they varied) and
// the latency percentiles.
import { performance } from 'node:perf_hooks'
import type { World } from '../testbed/world'
import { CallRecorder, signatureOf, type CallWindow, type LoggedCall } from './call-log'
import { summarise, type LatencySummary } from './stats'
import type { StoreWatcher } from './store-watcher'

export type Repetition = { durationMs: number; window: CallWindow; deliveryMs?: number; problems: string[] }

export type TimingMethod = 'driver round trip' | 'agent action → effect in Botpress'

export type OperationResult = {
  name: string
  timing: TimingMethod
  repetitions: number
  failures: number
  problems: string[]
  hubspotCalls: number
  botpressCalls: number
  hubspotWrites: number
  botpressWrites: number
  // Calls counted above that were made by webhooks the operation caused, after it answered.
  causedHubspotCalls: number
  causedBotpressCalls: number
  countsVaried: boolean
  latency: LatencySummary
  // Webhook operations: time the integration took to answer HubSpot's deliveries (durationMs).
  deliveryLatency?: LatencySummary
  calls: CallWindow
}

// The world an operation runs in, with the recorder and watcher bound to its stand-ins.
export type Lab = { world: World; recorder: CallRecorder; watcher: StoreWatcher }

// Token introspection is a POST that only reads.
const isWrite = (call: LoggedCall): boolean =>
  call.method !== 'GET' && call.method !== 'HEAD' && !/\/token\/introspect$/.test(call.route)

const mostCommon = (windows: CallWindow[]): CallWindow => {
  const tally = new Map<string, { count: number; window: CallWindow }>()
  for (const window of windows) {
    const key = signatureOf(window)
    const entry = tally.get(key) ?? { count: 0, window }
    entry.count += 1
    tally.set(key, entry)
  }
  return [...tally.values()].sort((a, b) => b.count - a.count)[0]?.window ?? { hubspot: [], botpress: [] }
}

const describeError = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300)

export const measureOperation = async (
  name: string,
  timing: TimingMethod,
  plan: { repetitions: number; warmups: number },
  runOnce: (index: number) => Promise<Repetition>
): Promise<OperationResult> => {
  const kept: Repetition[] = []
  const problems = new Set<string>()
  let failures = 0
  for (let index = 0; index < plan.warmups + plan.repetitions; index++) {
    const measured = index >= plan.warmups
    try {
      const repetition = await runOnce(index)
      if (!measured) continue
      kept.push(repetition)
      for (const problem of repetition.problems) problems.add(problem)
    } catch (error) {
      if (!measured) continue
      failures += 1
      problems.add(describeError(error))
    }
  }
  const representative = mostCommon(kept.map((repetition) => repetition.window))
  const signatures = new Set(kept.map((repetition) => signatureOf(repetition.window)))
  const deliveries = kept
    .map((repetition) => repetition.deliveryMs)
    .filter((value): value is number => value !== undefined)
  return {
    name,
    timing,
    repetitions: kept.length,
    failures,
    problems: [...problems],
    hubspotCalls: representative.hubspot.length,
    botpressCalls: representative.botpress.length,
    hubspotWrites: representative.hubspot.filter(isWrite).length,
    botpressWrites: representative.botpress.filter(isWrite).length,
    causedHubspotCalls: representative.hubspot.filter((call) => call.caused).length,
    causedBotpressCalls: representative.botpress.filter((call) => call.caused).length,
    countsVaried: signatures.size > 1,
    latency: summarise(kept.map((repetition) => repetition.durationMs)),
    ...(deliveries.length ? { deliveryLatency: summarise(deliveries) } : {}),
    calls: representative,
  }
}

const failedDeliveries = (lab: Lab): string[] =>
  lab.world.hs.deliveries
    .filter((delivery) => delivery.status === null || delivery.status < 200 || delivery.status >= 300)
    .map((delivery) => `a ${delivery.kind} webhook delivery got ${delivery.status ?? delivery.error ?? 'no answer'}`)

// An operation Botpress invokes: timed from the driver's request to the integration's answer; the
// window stays open until the webhooks it caused (if any) were handled.
export const timeInvocation = async (lab: Lab, invoke: () => Promise<unknown>): Promise<Repetition> => {
  lab.world.hs.resetDeliveries()
  lab.recorder.open()
  const startedAt = performance.now()
  await invoke()
  const durationMs = performance.now() - startedAt
  lab.recorder.markAnswered()
  await lab.world.hs.settle()
  return { durationMs, window: lab.recorder.close(), problems: failedDeliveries(lab) }
}

// An agent action in HubSpot: timed from the action until its effect is visible in the Botpress
// stand-in; the window covers every delivery it caused (hs.settle()).
export const timeAgentAction = async (
  lab: Lab,
  effect: (watcher: StoreWatcher) => Promise<{ at: number }>,
  act: () => void
): Promise<Repetition> => {
  lab.world.hs.resetDeliveries()
  lab.recorder.open()
  const visible = effect(lab.watcher)
  visible.catch(() => undefined)
  const startedAt = performance.now()
  act()
  const { at } = await visible
  await lab.world.hs.settle()
  const deliveryMs = lab.world.hs.deliveries.reduce((total, delivery) => total + delivery.durationMs, 0)
  return { durationMs: at - startedAt, window: lab.recorder.close(), deliveryMs, problems: failedDeliveries(lab) }
}
