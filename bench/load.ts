// Load and fault run: many concurrent HITL sessions exchange messages both ways through the real
// integration over HTTP, while the HubSpot stand-in duplicates and reorders webhook deliveries and
// answers 429s and 5xx. Then, per session and direction: lost, duplicated, out of order, latency.
//
//   npm run load -- --sessions 40 --messages 1200      (see --help; LOAD_* env variables work too)
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { format } from 'node:util'
import type { HitlSession } from '../testbed/botpress/hitl-bot'
import type { StoredMessage as BotpressMessage } from '../testbed/botpress/store'
import type { StoredMessage as HubSpotMessage } from '../testbed/hubspot/portal'
import { startWorldOnProcesses } from '../testbed/multi-process'
import { closeServedIntegration, startWorld, type World } from '../testbed/world'
import {
  measureEvents,
  measureStream,
  total,
  totalEvents,
  type Arrival,
  type Direction,
  type Sent,
  type StreamResult,
} from './load-metrics'
import { parseOptions, type LoadOptions } from './load-options'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// mulberry32: a small seeded generator, so a run's random choices repeat with its seed.
const seeded = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
let random: () => number = Math.random
const between = (min: number, max: number) => min + random() * (max - min)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!

const mark = (session: number, side: 'c' | 'a', n: number) => `[L s${session} ${side}${n}]`
const MARK = /\[L s(\d+) ([ca])(\d+)\]/

type SessionRun = {
  index: number
  session: HitlSession
  threadId: string
  agent: string
  sent: Record<Direction, Sent[]>
  arrived: Record<Direction, Arrival[]>
}

// The integration logs through console (SDK logger); during the run its lines are counted, not printed.
const muteConsole = () => {
  const counts: Record<string, number> = {}
  const samples = new Map<string, number>()
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const
  const originals = methods.map((name) => [name, console[name]] as const)
  for (const name of methods) {
    console[name] = (...args: unknown[]) => {
      counts[name] = (counts[name] ?? 0) + 1
      if (name === 'warn' || name === 'error') {
        const line = format(...args)
          .replace(/\d{3,}|[0-9a-f]{8}-[0-9a-f-]{27,}|conv_\w+/g, '#')
          .slice(0, 160)
        samples.set(`${name}: ${line}`, (samples.get(`${name}: ${line}`) ?? 0) + 1)
      }
    }
  }
  return {
    restore: () => {
      for (const [name, original] of originals) console[name] = original as never
    },
    report: () => ({
      counts,
      topWarningsAndErrors: Object.fromEntries([...samples.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)),
    }),
  }
}

// Runs `work` over items with at most `limit` at once.
const inPool = async <T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

const FAULT_TARGETS = [
  { method: 'POST', path: /\/custom-channels\/2026-03\/\d+\/messages$/ }, // customer publishes
  { method: 'GET', path: /\/threads\/\d+\/messages$/ }, // timeline read on agent messages
  { method: 'PATCH', path: /\/custom-channels\/2026-03\/\d+\/messages\// }, // delivery status reports
] as const

// Periodic faults while messages flow: API failures at a steady rate, bursts of reordered deliveries.
const startFaults = (w: World, options: LoadOptions) => {
  const timers: NodeJS.Timeout[] = []
  let apiFaults = 0
  let held = 0
  w.hs.faults.webhooks({ duplicateRate: options.duplicateRate })
  if (options.apiFaultsPerSecond > 0) {
    timers.push(
      setInterval(() => {
        const target = pick(FAULT_TARGETS)
        if (random() < options.rateLimitShare) {
          const withRetryAfter = random() < 0.5
          w.hs.faults.inject({ ...target, status: 429, count: 1, ...(withRetryAfter ? { retryAfterSeconds: 1 } : {}) })
        } else {
          w.hs.faults.inject({ ...target, status: pick([502, 503, 504]), count: 1 })
        }
        apiFaults++
      }, 1000 / options.apiFaultsPerSecond)
    )
  }
  if (options.reorderBurst > 0 && options.reorderEveryMs > 0) {
    timers.push(
      setInterval(() => {
        w.hs.faults.webhooks({ reorderNext: options.reorderBurst })
        held += options.reorderBurst
      }, options.reorderEveryMs)
    )
  }
  return {
    // No new faults; those already scheduled (and the duplicate rate) still apply to the deliveries
    // and redeliveries that are under way.
    stop: () => {
      for (const timer of timers) clearInterval(timer)
      return { apiFaultsScheduled: apiFaults, reorderHoldsScheduled: held }
    },
  }
}

const main = async () => {
  const options = parseOptions(process.argv.slice(2), process.env)
  const perDirection = Math.ceil(options.messages / 2 / options.sessions)
  console.log(
    `Load run: ${options.sessions} sessions × ${perDirection} messages each way (${perDirection * 2 * options.sessions} in all); ` +
      `duplicates ${Math.round(options.duplicateRate * 100)}%, ${options.reorderBurst} reordered every ${options.reorderEveryMs} ms, ` +
      `${options.apiFaultsPerSecond} API faults/s (${Math.round(options.rateLimitShare * 100)}% 429)`
  )

  const seed = options.seed || Math.floor(Math.random() * 2 ** 31)
  random = seeded(seed)
  console.log(`Seed ${seed}, ${options.processes} integration process${options.processes > 1 ? 'es' : ''}`)
  // The stand-in's rate limits are lifted below (every 429 of this run is injected), and so is the
  // integration's own per-portal budget; `npm run capacity` measures those limits.
  process.env.HUBSPOT_CALLS_PER_10S = '1000000'
  process.env.HUBSPOT_SEARCHES_PER_SECOND = '1000000'
  const console_ = muteConsole()
  const started = Date.now()
  // HubSpot's own redelivery schedule (2 minutes, then 4, 8, …): the run advances its clock when only
  // redeliveries are left, and counts each one a customer would have waited minutes for.
  const hubspot = { random: seeded(seed ^ 0x5eed) }
  const { w, pool } =
    options.processes > 1
      ? await startWorldOnProcesses(options.processes, { hubspot })
      : { w: await startWorld({ hubspot }), pool: undefined }
  // The stand-in's own limiter would otherwise be the bottleneck; every 429 below is injected.
  w.hs.settings.rateLimitPer10s = 1_000_000
  w.hs.settings.searchRateLimitPerSecond = 1_000_000
  // Like HubSpot, up to 10 deliveries in flight per target and no promised order.
  w.hs.settings.webhookConcurrency = 10

  const runs: SessionRun[] = []
  const byConversation = new Map<string, SessionRun>()
  const byThread = new Map<string, SessionRun>()

  // What reached HubSpot (customer → agent), as the stand-in stores it.
  const portal = w.hs.portal
  const addMessage = portal.addMessage.bind(portal)
  portal.addMessage = (message: HubSpotMessage) => {
    addMessage(message)
    if (message.direction !== 'INCOMING') return
    const run = byThread.get(message.conversationsThreadId)
    const found = MARK.exec(message.text)
    if (run && found?.[2] === 'c') run.arrived.customerToAgent.push({ mark: found[0], at: Date.now() })
  }
  // What reached the customer (agent → customer): messages the integration created on the hitl conversation.
  w.bp.on('message', ({ kind, message }: { kind: string; message: BotpressMessage }) => {
    if (kind !== 'created' || message.userId === w.driver.botUserId) return
    const run = byConversation.get(message.conversationId)
    const found = MARK.exec(String(message.payload.text ?? ''))
    if (run && found?.[2] === 'a') run.arrived.agentToCustomer.push({ mark: found[0], at: Date.now() })
  })

  // Webhook duplicates (sent to different processes with --processes) apply to assignments and
  // closes too, not only to the exchange.
  w.hs.faults.webhooks({ duplicateRate: options.duplicateRate })
  // Open the sessions, each with its agent assigned.
  const indexes = Array.from({ length: options.sessions }, (_, i) => i)
  await inPool(indexes, options.escalationConcurrency, async (index) => {
    const session = await w.bot.escalate({
      customer: { name: `Load Customer ${index}`, email: `load.customer.${index}@example.com` },
    })
    const threadId = w.bp.store.conversations.get(session.conversationId)!.tags.hubspotThreadId!
    const run: SessionRun = {
      index,
      session,
      threadId,
      agent: index % 2 === 0 ? 'A-111' : 'A-222',
      sent: { customerToAgent: [], agentToCustomer: [] },
      arrived: { customerToAgent: [], agentToCustomer: [] },
    }
    runs.push(run)
    byConversation.set(session.conversationId, run)
    byThread.set(threadId, run)
    w.hs.agent.assign(threadId, run.agent)
  })
  await w.hs.settleAdvancingRedeliveries()
  const openedAt = Date.now()
  w.hs.resetCalls()
  w.hs.resetDeliveries()
  const faultsBefore = w.hs.faults.count

  // Exchange: each session sends its customer and agent messages in a random interleaving.
  const failures = { customer: 0, agent: 0, reasons: new Map<string, number>() }
  const noteFailure = (side: 'customer' | 'agent', error: unknown) => {
    failures[side]++
    const body = (error as { body?: { message?: string } }).body
    const reason = `${side}: ${(body?.message ?? (error instanceof Error ? error.message : String(error))).slice(0, 140)}`
    failures.reasons.set(reason, (failures.reasons.get(reason) ?? 0) + 1)
  }
  const faults = startFaults(w, options)
  await Promise.all(
    runs.map(async (run) => {
      const steps = [
        ...Array.from({ length: perDirection }, () => 'c' as const),
        ...Array.from({ length: perDirection }, () => 'a' as const),
      ]
      for (let i = steps.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[steps[i], steps[j]] = [steps[j]!, steps[i]!]
      }
      const counters = { c: 0, a: 0 }
      await sleep(between(0, options.gapMaxMs))
      for (const side of steps) {
        const n = counters[side]++
        const text = `${mark(run.index, side, n)} ${side === 'c' ? 'customer' : 'agent'} message ${n} of session ${run.index}`
        if (side === 'c') {
          run.sent.customerToAgent.push({ mark: mark(run.index, 'c', n), sentAt: Date.now() })
          await w.bot
            .customerSays(run.session, { type: 'text', payload: { text } })
            .catch((error: unknown) => noteFailure('customer', error))
        } else {
          run.sent.agentToCustomer.push({ mark: mark(run.index, 'a', n), sentAt: Date.now() })
          try {
            w.hs.agent.reply(run.threadId, { actorId: run.agent, text })
          } catch (error) {
            noteFailure('agent', error)
          }
        }
        await sleep(between(options.gapMinMs, options.gapMaxMs))
      }
    })
  )
  const sendingDoneAt = Date.now()
  const scheduled = faults.stop()

  // Settle: every delivery, redelivery and held delivery done, and nothing new arriving.
  let arrivals = -1
  for (let round = 0; round < 20; round++) {
    await w.hs.settleAdvancingRedeliveries()
    await sleep(300)
    const now = runs.reduce(
      (sum, run) => sum + run.arrived.customerToAgent.length + run.arrived.agentToCustomer.length,
      0
    )
    if (now === arrivals) break
    arrivals = now
  }
  w.hs.faults.clear()
  w.hs.faults.webhooks({ duplicateRate: options.duplicateRate })
  // The agents close their threads: a session's last customer messages that HubSpot refused are
  // owed until the thread's next event, and the close is one.
  for (const run of runs) w.hs.agent.close(run.threadId)
  await w.hs.settleAdvancingRedeliveries()
  await sleep(300)
  await w.hs.settleAdvancingRedeliveries()
  const settledAt = Date.now()

  // Measure. The agent sees the thread in HubSpot's timeline order: that order is the one judged,
  // with each message's arrival time for latency.
  for (const run of runs) {
    const arrivedAt = new Map(run.arrived.customerToAgent.map((a) => [a.mark, a.at]))
    run.arrived.customerToAgent = w.hs.portal.timeline(run.threadId).flatMap((entry) => {
      const found = entry.type === 'MESSAGE' && entry.direction === 'INCOMING' ? MARK.exec(entry.text) : null
      return found?.[2] === 'c' ? [{ mark: found[0], at: arrivedAt.get(found[0]) ?? Date.now() }] : []
    })
  }
  const directions: Direction[] = ['customerToAgent', 'agentToCustomer']
  const perSession = runs
    .sort((a, b) => a.index - b.index)
    .map((run) => {
      const result = Object.fromEntries(
        directions.map((d) => [d, measureStream(run.sent[d], run.arrived[d])])
      ) as Record<Direction, StreamResult>
      return { run, result }
    })
  const byDirection = Object.fromEntries(
    directions.map((d) => [d, total(perSession.map((s) => s.result[d]))])
  ) as Record<Direction, ReturnType<typeof total>>
  const all = total(perSession.flatMap((s) => directions.map((d) => s.result[d])))
  // Each session was assigned once and closed once: one hitlAssigned, then one hitlStopped.
  const events = totalEvents(
    runs.map((run) =>
      measureEvents(
        ['hitlAssigned', 'hitlStopped'],
        w.bot.events(run.session).map((e) => e.type)
      )
    )
  )

  const deliveries = w.hs.deliveries
  const apiFaultAnswers = w.hs.calls.filter((c) => c.status === 429 || c.status >= 500).length
  const duplicatedDeliveries = deliveries.filter((d) => d.duplicate).length
  const faultsInjected = w.hs.faults.count - faultsBefore
  const heldForReorder = Math.max(0, faultsInjected - apiFaultAnswers - duplicatedDeliveries)
  const failedDeliveries = deliveries.filter((d) => d.status === null || d.status < 200 || d.status >= 300).length
  const redeliveries = deliveries.filter((d) => !d.duplicate && d.attempt > 0).length
  // A delivery answered non-2xx makes a customer wait minutes for HubSpot's redelivery. It is needed
  // only when HubSpot or Botpress failed (the faults this run injects) or time ran out; any other
  // refusal is a defect.
  const infrastructureCause = /failed: (unreachable|out of time)/
  const redeliveriesNeeded = deliveries.filter(
    (d) => d.status !== null && (d.status < 200 || d.status >= 300) && !infrastructureCause.test(d.answer ?? '')
  ).length
  const redeliveriesForInfrastructure = deliveries.filter(
    (d) => d.status === null || ((d.status < 200 || d.status >= 300) && infrastructureCause.test(d.answer ?? ''))
  ).length
  const originalDeliveries = deliveries.filter((d) => !d.duplicate && d.attempt === 0).length
  const faultedDeliveries = Math.min(deliveries.length, duplicatedDeliveries + heldForReorder + failedDeliveries)

  const report = {
    sessions: options.sessions,
    messagesSent: all.sent,
    messagesDelivered: all.delivered,
    lost: all.lost,
    duplicated: all.duplicated,
    outOfOrder: all.outOfOrder,
    faultsInjected,
    p50Ms: all.p50Ms,
    p99Ms: all.p99Ms,
    maxMs: all.maxMs,
    directions: byDirection,
    events,
    faults: {
      apiFaultAnswers,
      duplicatedDeliveries,
      heldForReorder,
      failedDeliveries,
      redeliveries,
      redeliveriesNeeded,
      redeliveriesForInfrastructure,
      deliveries: deliveries.length,
      originalDeliveries,
      faultedDeliveryShare: Number((faultedDeliveries / Math.max(1, originalDeliveries)).toFixed(3)),
      scheduled,
    },
    sendFailures: { customer: failures.customer, agent: failures.agent, reasons: Object.fromEntries(failures.reasons) },
    timingMs: {
      openSessions: openedAt - started,
      exchange: sendingDoneAt - openedAt,
      settle: settledAt - sendingDoneAt,
      total: settledAt - started,
    },
    integrationLog: console_.report(),
    config: options,
    perSession: perSession.map(({ run, result }) => ({
      session: run.index,
      conversationId: run.session.conversationId,
      threadId: run.threadId,
      ...Object.fromEntries(
        directions.map((d) => [
          d,
          {
            sent: result[d].sent,
            delivered: result[d].delivered,
            lost: result[d].lost,
            duplicated: result[d].duplicated,
            outOfOrder: result[d].outOfOrder,
          },
        ])
      ),
    })),
  }

  await w.close()
  await pool?.close()
  await closeServedIntegration()
  console_.restore()
  mkdirSync(dirname(options.out), { recursive: true })
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`)

  const line = (name: string, t: ReturnType<typeof total>) =>
    `  ${name.padEnd(18)} sent ${String(t.sent).padStart(5)}  delivered ${String(t.delivered).padStart(5)}  lost ${String(t.lost).padStart(4)}  duplicated ${String(t.duplicated).padStart(4)}  outOfOrder ${String(t.outOfOrder).padStart(4)}  p50 ${t.p50Ms} ms  p99 ${t.p99Ms} ms`
  console.log(
    [
      '',
      `Sessions: ${report.sessions}   messages sent: ${report.messagesSent}   delivered: ${report.messagesDelivered}`,
      line('customer → agent', byDirection.customerToAgent),
      line('agent → customer', byDirection.agentToCustomer),
      line('both', all),
      ...Object.entries(events).map(
        ([type, e]) =>
          `  ${`event ${type}`.padEnd(18)} expected ${String(e.expected).padStart(3)}  emitted ${String(e.emitted).padStart(3)}  lost ${String(e.lost).padStart(4)}  duplicated ${String(e.duplicated).padStart(4)}  outOfOrder ${String(e.outOfOrder).padStart(4)}`
      ),
      `Faults injected: ${faultsInjected} (API 429/5xx answers ${apiFaultAnswers}, duplicated deliveries ${duplicatedDeliveries}, held for reordering ${heldForReorder}); ` +
        `${deliveries.length} webhook deliveries, ${failedDeliveries} answered non-2xx (${redeliveriesNeeded} with no infrastructure fault behind them: redeliveries needed), ${redeliveries} redeliveries; faulted share ${(report.faults.faultedDeliveryShare * 100).toFixed(1)}% of deliveries`,
      `Send failures: customer ${failures.customer}, agent ${failures.agent}`,
      ...[...failures.reasons.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([reason, n]) => `  ${n} × ${reason}`),
      `Time: open ${report.timingMs.openSessions} ms, exchange ${report.timingMs.exchange} ms, settle ${report.timingMs.settle} ms, total ${report.timingMs.total} ms`,
      `Written to ${options.out}`,
    ].join('\n')
  )
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
