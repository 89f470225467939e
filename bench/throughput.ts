// Messages per second at a given concurrency, customer side (Botpress → HubSpot) and agent side
// (HubSpot → Botpress), plus the token refreshes HubSpot saw meanwhile.
//
// Customer messages: one installed integration, one session per worker, each worker sending its
// messages one after the other (a customer waits for the ack before the next message).
// Agent messages: the HubSpot stand-in delivers one webhook at a time per target URL (stricter than
// HubSpot), so concurrent deliveries need several targets: each worker has its own installation
// (its own custom channel and webhook URL) with one session, all served by the same process.
import { performance } from 'node:perf_hooks'
import type { IntegrationDriver } from '../testbed/botpress'
import { isTokenRefresh } from './call-log'
import { linkCustomer, openSession, type Session } from './escalation'
import type { Lab } from './measure'
import { AGENT } from './operations'
import { round2, summarise, type LatencySummary } from './stats'

export type ThroughputRun = {
  concurrency: number
  messages: number
  delivered: number
  seconds: number
  messagesPerSecond: number
  latency: LatencySummary
  hubspotCalls: number
  tokenRefreshes: number
  failures: number
  problems: string[]
}

export type Installation = { driver: IntegrationDriver; session: Session }

const describeError = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300)

type WorkerPlan = { concurrency: number; messages: number; send: (worker: number, sequence: number) => Promise<void> }

const runWorkers = async (lab: Lab, plan: WorkerPlan, drain: () => Promise<void>): Promise<ThroughputRun> => {
  const perWorker = Math.ceil(plan.messages / plan.concurrency)
  const latencies: number[] = []
  const problems = new Set<string>()
  let failures = 0
  lab.world.hs.resetCalls()
  const startedAt = performance.now()
  await Promise.all(
    Array.from({ length: plan.concurrency }, async (_, worker) => {
      for (let sequence = 0; sequence < perWorker; sequence++) {
        const sentAt = performance.now()
        try {
          await plan.send(worker, sequence)
          latencies.push(performance.now() - sentAt)
        } catch (error) {
          failures += 1
          problems.add(describeError(error))
        }
      }
    })
  )
  await drain()
  const seconds = (performance.now() - startedAt) / 1000
  const calls = lab.world.hs.calls
  return {
    concurrency: plan.concurrency,
    messages: perWorker * plan.concurrency,
    delivered: latencies.length,
    seconds: round2(seconds),
    messagesPerSecond: round2(latencies.length / seconds),
    latency: summarise(latencies),
    hubspotCalls: calls.length,
    tokenRefreshes: calls.filter(isTokenRefresh).length,
    failures,
    problems: [...problems],
  }
}

export const customerThroughput = (
  lab: Lab,
  sessions: Session[],
  concurrency: number,
  messages: number
): Promise<ThroughputRun> => {
  const { driver } = lab.world
  return runWorkers(
    lab,
    {
      concurrency,
      messages,
      send: async (worker, sequence) => {
        const session = sessions[worker]!
        const sent = await driver.sendMessage({
          conversationId: session.conversationId,
          type: 'text',
          payload: { text: `Message ${sequence} from customer ${worker}`, userId: session.customerUserId },
        })
        if (!sent.tags.hubspotMessageId) throw new Error('the message was not acknowledged with its HubSpot message ID')
      },
    },
    () => lab.world.hs.settle()
  )
}

const replyAndWait = async (lab: Lab, session: Session, text: string): Promise<void> => {
  const delivered = lab.watcher.nextIncomingMessage(session.conversationId, 'text')
  delivered.catch(() => undefined)
  lab.world.hs.agent.reply(session.threadId, { actorId: AGENT, text })
  await delivered
}

export const agentThroughput = (
  lab: Lab,
  installations: Installation[],
  concurrency: number,
  messages: number
): Promise<ThroughputRun> =>
  runWorkers(
    lab,
    {
      concurrency,
      messages,
      send: (worker, sequence) =>
        replyAndWait(lab, installations[worker]!.session, `Reply ${sequence} to customer ${worker}`),
    },
    () => lab.world.hs.settle()
  )

// Installations for the agent side: the lab's own driver plus new ones, each registered, with one
// session whose first agent reply (unmeasured) makes the agent known to that installation.
export const prepareInstallations = async (lab: Lab, count: number): Promise<Installation[]> => {
  const installations: Installation[] = []
  for (let index = 0; index < count; index++) {
    const driver = index === 0 ? lab.world.driver : lab.world.connect()
    if (index > 0) await driver.register()
    const customerUserId = await linkCustomer(driver, {
      name: `Agent Side Customer ${index}`,
      email: `agent-side-${index}@example.com`,
    })
    const session = await openSession(lab.world.bp, driver, customerUserId)
    await replyAndWait(lab, session, 'Hello, I am looking into it')
    installations.push({ driver, session })
  }
  await lab.world.hs.settle()
  return installations
}

export const openCustomerSessions = async (lab: Lab, count: number): Promise<Session[]> => {
  const { driver, bp } = lab.world
  const sessions: Session[] = []
  for (let index = 0; index < count; index++) {
    const customerUserId = await linkCustomer(driver, {
      name: `Throughput Customer ${index}`,
      email: `throughput-${index}@example.com`,
    })
    sessions.push(await openSession(bp, driver, customerUserId))
  }
  return sessions
}

export type ExpiryBurst = {
  concurrency: number
  tokenRefreshes: number
  rejectedWith401: number
  failures: number
  problems: string[]
}

// Every access token expires at once, then one message per session arrives together.
export const expiredTokenBurst = async (lab: Lab, sessions: Session[]): Promise<ExpiryBurst> => {
  const { driver, hs } = lab.world
  hs.faults.expireAccessTokens()
  const run = await runWorkers(
    lab,
    {
      concurrency: sessions.length,
      messages: sessions.length,
      send: async (worker) => {
        const session = sessions[worker]!
        const sent = await driver.sendMessage({
          conversationId: session.conversationId,
          type: 'text',
          payload: { text: 'Still there?', userId: session.customerUserId },
        })
        if (!sent.tags.hubspotMessageId) throw new Error('the message was not acknowledged with its HubSpot message ID')
      },
    },
    () => hs.settle()
  )
  return {
    concurrency: sessions.length,
    tokenRefreshes: run.tokenRefreshes,
    rejectedWith401: hs.calls.filter((call) => call.status === 401).length,
    failures: run.failures,
    problems: run.problems,
  }
}
