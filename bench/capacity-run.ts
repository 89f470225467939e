// The capacity run's engine: HITL sessions on one portal, whose HubSpot stand-in enforces HubSpot's
// real limits (110 bearer calls per rolling 10 s, 5 CRM searches per second, 429s without
// Retry-After), driven at a chosen rate of exchanges (one customer message and one agent reply)
// with a realistic mix: escalations with a 5- and a 20-line history, customer texts and images,
// agent texts and files, an assignment and a close per session. Shared by `npm run capacity` and
// the [capacity] and [budget] tests.
import type { HitlSession } from '../testbed/botpress/hitl-bot'
import type { StoredMessage as BotpressMessage } from '../testbed/botpress/store'
import type { StoredMessage as HubSpotMessage } from '../testbed/hubspot/portal'
import type { World } from '../testbed/world'
import { SMALL_PDF, TINY_PNG } from './escalation'
import {
  measureEvents,
  measureStream,
  percentile,
  totalEvents,
  type Arrival,
  type EventResult,
  type Sent,
  type StreamResult,
} from './load-metrics'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export type Mix = {
  // Exchanges a session carries before its agent closes it (and a new customer escalates).
  exchangesPerSession: number
  // Every Nth customer message is an image, every Nth agent reply carries a file.
  imageEvery: number
  fileEvery: number
  // History lengths of the escalations, taken in turn.
  historyLines: number[]
}

export const DEFAULT_MIX: Mix = { exchangesPerSession: 6, imageEvery: 8, fileEvery: 8, historyLines: [5, 20] }

type Tracked = {
  index: number
  session: HitlSession
  threadId: string
  agent: string
  sent: { c: Sent[]; a: Sent[] }
  arrived: { c: Arrival[]; a: Arrival[] }
  exchanges: number
  chain: Promise<unknown>
}

export type DirectionFigures = Omit<StreamResult, 'latenciesMs'> & { p50Ms: number; p99Ms: number }

export type StepResult = {
  offeredExchangesPerSecond: number
  durationMs: number
  exchangesOffered: number
  exchangesCompleted: number
  achievedExchangesPerSecond: number
  escalations: number
  escalationsPerMinute: number
  escalationP99Ms: number
  hubspotCalls: number
  answered429: number
  share429: number
  callsPerExchange: number
  // What the portal's 110 calls per 10 s allow at this step's own cost per exchange, and how much of it was used.
  boundExchangesPerSecond: number
  ratioToBound: number
  customerToAgent: DirectionFigures
  agentToCustomer: DirectionFigures
  // Deliveries answered non-2xx, and those of them no HubSpot or Botpress failure explains.
  deliveriesRefused: number
  redeliveriesNeeded: number
  events: Record<string, EventResult>
  failures: string[]
}

// HubSpot's limit for an OAuth app on one portal: 110 calls per 10 s (hubspot-api.md §10).
export const HUBSPOT_CALLS_PER_SECOND = 110 / 10

const MARK = /\[K s(\d+) ([ca])(\d+)\]/
const mark = (session: number, side: 'c' | 'a', n: number) => `[K s${session} ${side}${n}]`

const historyOf = (lines: number) =>
  Array.from({ length: lines }, (_, i) => ({
    from: i % 2 ? ('bot' as const) : ('customer' as const),
    type: 'text',
    payload: {
      text:
        i % 2 ? `Bot line ${i}: let me look into that for you.` : `Customer line ${i}: my order has not arrived yet.`,
    },
  }))

const figures = (results: StreamResult[]): DirectionFigures => {
  const latencies = results.flatMap((r) => r.latenciesMs)
  const sum = (pick: (r: StreamResult) => number) => results.reduce((total, r) => total + pick(r), 0)
  return {
    sent: sum((r) => r.sent),
    delivered: sum((r) => r.delivered),
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    outOfOrder: sum((r) => r.outOfOrder),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  }
}

// Drives one world; steps run one after the other on it, as a contact center's load rises.
export class CapacityDriver {
  private readonly sessions: Tracked[] = []
  private readonly byThread = new Map<string, Tracked>()
  private readonly byConversation = new Map<string, Tracked>()
  private nextIndex = 0
  private imageUrl = ''
  private readonly failures: string[] = []
  private readonly detach: () => void

  public constructor(
    private readonly w: World,
    private readonly mix: Mix = DEFAULT_MIX
  ) {
    const portal = w.hs.portal
    const addMessage = portal.addMessage.bind(portal)
    portal.addMessage = (message: HubSpotMessage) => {
      addMessage(message)
      const found = message.direction === 'INCOMING' ? MARK.exec(message.text) : null
      const run = this.byThread.get(message.conversationsThreadId)
      if (run && found?.[2] === 'c') run.arrived.c.push({ mark: found[0], at: Date.now() })
    }
    const onMessage = ({ kind, message }: { kind: string; message: BotpressMessage }) => {
      if (kind !== 'created') return
      const run = this.byConversation.get(message.conversationId)
      const found = MARK.exec(String(message.payload.text ?? message.payload.title ?? ''))
      if (run && found?.[2] === 'a') run.arrived.a.push({ mark: found[0], at: Date.now() })
    }
    w.bp.on('message', onMessage)
    this.detach = () => {
      portal.addMessage = addMessage
      w.bp.off('message', onMessage)
    }
  }

  public dispose(): void {
    this.detach()
  }

  // Opens sessions (escalation, then assignment) until `count` are ready.
  public async open(count: number): Promise<void> {
    await this.hostImage()
    await Promise.all(Array.from({ length: count }, () => this.escalate()))
  }

  private async hostImage(): Promise<void> {
    if (this.imageUrl) return
    const { Client } = await import('@botpress/client')
    const client = new Client({ apiUrl: this.w.bp.url, token: this.w.bp.token, botId: this.w.driver.botId })
    const { file } = await client.uploadFile({
      key: 'capacity/photo.png',
      content: TINY_PNG,
      contentType: 'image/png',
      accessPolicies: ['public_content'],
    })
    this.imageUrl = file.url ?? ''
  }

  private async escalate(): Promise<number> {
    const index = this.nextIndex++
    const startedAt = Date.now()
    try {
      const session = await this.w.bot.escalate({
        customer: { name: `Capacity Customer ${index}`, email: `capacity.${index}@example.com` },
        history: historyOf(this.mix.historyLines[index % this.mix.historyLines.length]!),
      })
      const threadId = this.w.bp.store.conversations.get(session.conversationId)!.tags.hubspotThreadId!
      const run: Tracked = {
        index,
        session,
        threadId,
        agent: index % 2 ? 'A-222' : 'A-111',
        sent: { c: [], a: [] },
        arrived: { c: [], a: [] },
        exchanges: 0,
        chain: Promise.resolve(),
      }
      this.byThread.set(threadId, run)
      this.byConversation.set(session.conversationId, run)
      this.w.hs.agent.assign(threadId, run.agent)
      this.sessions.push(run)
    } catch (error) {
      this.failures.push(`escalation ${index}: ${error instanceof Error ? error.message.slice(0, 160) : String(error)}`)
    }
    return Date.now() - startedAt
  }

  private exchange(run: Tracked, offeredMarks: Set<string>): void {
    const n = run.exchanges++
    const customerMark = mark(run.index, 'c', n)
    const agentMark = mark(run.index, 'a', n)
    offeredMarks.add(customerMark).add(agentMark)
    const image = n % this.mix.imageEvery === this.mix.imageEvery - 1
    run.chain = run.chain.then(async () => {
      run.sent.c.push({ mark: customerMark, sentAt: Date.now() })
      const message = image
        ? { type: 'image', payload: { imageUrl: this.imageUrl, title: `${customerMark} photo` } }
        : { type: 'text', payload: { text: `${customerMark} customer message ${n}` } }
      await this.w.bot.customerSays(run.session, message).catch((error: unknown) => {
        this.failures.push(
          `customer ${customerMark}: ${error instanceof Error ? error.message.slice(0, 160) : String(error)}`
        )
      })
    })
    run.sent.a.push({ mark: agentMark, sentAt: Date.now() })
    const file = n % this.mix.fileEvery === this.mix.fileEvery - 1
    this.w.hs.agent.reply(run.threadId, {
      actorId: run.agent,
      text: `${agentMark} agent reply ${n}`,
      ...(file && { files: [{ name: 'label.pdf', contentType: 'application/pdf', data: SMALL_PDF }] }),
    })
  }

  private close(run: Tracked): void {
    this.sessions.splice(this.sessions.indexOf(run), 1)
    void run.chain.then(() => this.w.hs.agent.close(run.threadId))
  }

  // Offers `exchangesPerSecond` for `durationMs` (open loop: arrivals do not wait for answers),
  // retiring each session after its exchanges and escalating a new customer in its place.
  public async step(exchangesPerSecond: number, durationMs: number, drainMs = 30_000): Promise<StepResult> {
    const started = Date.now()
    const callsBefore = this.w.hs.calls.length
    const deliveriesBefore = this.w.hs.deliveries.length
    const touched = new Set<Tracked>()
    const offeredMarks = new Set<string>()
    const escalationTimes: Promise<number>[] = []
    const failuresBefore = this.failures.length
    let offered = 0
    let cursor = 0
    const gap = 1000 / exchangesPerSecond
    // Enough customers that each writes about every 1.5 s: sessions turn over within a step.
    const wanted = Math.max(3, Math.ceil(exchangesPerSecond * 1.5))
    for (let extra = this.sessions.length; extra < wanted; extra++) escalationTimes.push(this.escalate())
    while (Date.now() - started < durationMs) {
      const due = started + offered * gap
      if (due > Date.now()) await sleep(due - Date.now())
      offered++
      if (this.sessions.length === 0) continue
      const run = this.sessions[cursor++ % this.sessions.length]!
      touched.add(run)
      this.exchange(run, offeredMarks)
      if (run.exchanges >= this.mix.exchangesPerSession) {
        this.close(run)
        escalationTimes.push(this.escalate())
      }
    }
    const durations = await Promise.all(escalationTimes)
    // Drain: everything offered arrives or the drain time passes.
    const deadline = Date.now() + drainMs
    const arrivedMarks = () =>
      new Set([...touched].flatMap((run) => [...run.arrived.c, ...run.arrived.a].map((a) => a.mark)))
    const pending = () => {
      const arrived = arrivedMarks()
      return [...offeredMarks].filter((m) => !arrived.has(m)).length
    }
    await Promise.all([...touched].map((run) => run.chain))
    while (pending() > 0 && Date.now() < deadline) {
      await this.w.hs.settleAdvancingRedeliveries()
      await sleep(200)
    }
    await this.w.hs.settleAdvancingRedeliveries()

    const runs = [...touched]
    const inStep = (sent: Sent[]) => sent.filter((message) => offeredMarks.has(message.mark))
    const calls = this.w.hs.calls
      .slice(callsBefore)
      .filter((call) => call.auth === 'bearer' && !call.path.startsWith('/oauth'))
    const answered429 = calls.filter((call) => call.status === 429).length
    const streams = runs.map((run) => ({
      c: measureStream(inStep(run.sent.c), run.arrived.c),
      a: measureStream(inStep(run.sent.a), run.arrived.a),
    }))
    // An exchange is done when both its messages arrived (they share their number).
    const completed = runs.reduce((sum, run) => {
      const arrived = new Set([...run.arrived.c, ...run.arrived.a].map((a) => a.mark))
      return (
        sum +
        inStep(run.sent.c).filter((sent) => arrived.has(sent.mark) && arrived.has(sent.mark.replace(' c', ' a'))).length
      )
    }, 0)
    const closed = runs.filter((run) => !this.sessions.includes(run))
    const events = totalEvents(
      closed.map((run) =>
        measureEvents(
          ['hitlAssigned', 'hitlStopped'],
          this.w.bot.events(run.session).map((e) => e.type)
        )
      )
    )
    // Deliveries answered non-2xx with no infrastructure failure behind them: each would have made a
    // customer wait minutes for HubSpot's redelivery.
    const refused = this.w.hs.deliveries
      .slice(deliveriesBefore)
      .filter((d) => d.status === null || d.status < 200 || d.status >= 300)
    const redeliveriesNeeded = refused.filter(
      (d) => d.status === null || !/failed: (unreachable|out of time)/.test(d.answer ?? '')
    ).length
    const elapsed = Date.now() - started
    // Completed exchanges over the time they took: the step, or longer when a backlog drained after it.
    const lastArrival = Math.max(
      started + durationMs,
      ...runs.flatMap((run) =>
        [...run.arrived.c, ...run.arrived.a].filter((a) => offeredMarks.has(a.mark)).map((a) => a.at)
      )
    )
    const achieved = completed / ((lastArrival - started) / 1000)
    const callsPerExchange = completed ? (calls.length - answered429) / completed : 0
    const bound = callsPerExchange ? HUBSPOT_CALLS_PER_SECOND / callsPerExchange : 0
    return {
      offeredExchangesPerSecond: exchangesPerSecond,
      durationMs,
      exchangesOffered: offered,
      exchangesCompleted: completed,
      achievedExchangesPerSecond: Number(achieved.toFixed(2)),
      escalations: durations.length,
      escalationsPerMinute: Number(((durations.length / durationMs) * 60_000).toFixed(1)),
      escalationP99Ms: percentile(durations, 99),
      hubspotCalls: calls.length,
      answered429,
      share429: calls.length ? Number((answered429 / calls.length).toFixed(4)) : 0,
      callsPerExchange: Number(callsPerExchange.toFixed(2)),
      boundExchangesPerSecond: Number(bound.toFixed(2)),
      ratioToBound: bound ? Number((achieved / bound).toFixed(3)) : 0,
      customerToAgent: figures(streams.map((s) => s.c)),
      agentToCustomer: figures(streams.map((s) => s.a)),
      events,
      deliveriesRefused: refused.length,
      redeliveriesNeeded,
      failures: this.failures.slice(failuresBefore),
      ...(elapsed > durationMs + drainMs + 60_000 && { note: 'drain overran' }),
    }
  }
}
