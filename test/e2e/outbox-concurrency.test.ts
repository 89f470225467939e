// [outbox-concurrency] Customer messages under any interleaving of agent replies, assignments,
// closes, the customer's end of the session, sweeps and HubSpot outages (some answered 503, some
// refused for good), with the integration running as 3 processes: every customer message ends in
// HubSpot exactly once and in order, or the customer is told it did not reach the agent; never
// both, never neither. The plugin hands customer messages over one at a time (it waits for each
// createMessage), so they are sent in sequence; everything else runs concurrently with them.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWorldOnProcesses, type ProcessPool } from '../../testbed/multi-process'
import type { World } from '../../testbed/world'
import { threadMessages, threadOf } from './helpers'

const PUBLISH = /\/custom-channels\/2026-03\/\d+\/messages$/
const REPORTS = [
  'One of your messages could not reach the agent: HubSpot was unavailable. Please send it again.',
  'One of your messages could not reach the agent: HubSpot refused it. Please send it again in other words.',
  'One of your messages did not reach the agent before the conversation was closed.',
]

type Op =
  | { kind: 'say' }
  | { kind: 'outage'; calls: number }
  | { kind: 'refuse' }
  | { kind: 'reply' }
  | { kind: 'assign'; agent: 'A-111' | 'A-222' }
  | { kind: 'sweep' }
  | { kind: 'close' }
  | { kind: 'end' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'say' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 12 }).map((calls) => ({ kind: 'outage' as const, calls })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'refuse' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'reply' as const }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('A-111' as const, 'A-222' as const).map((agent) => ({ kind: 'assign' as const, agent })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'end' as const }) }
)
// Steps run one after the other; the ops of a step run at once (at most one customer message).
const steps = fc
  .array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 9 })
  .map((groups) =>
    groups.map((group) =>
      group.filter((item, index) => item.kind !== 'say' || group.findIndex((other) => other.kind === 'say') === index)
    )
  )

let w: World
let pool: ProcessPool
beforeAll(async () => {
  // A 400 is a refusal HubSpot does not take back: short budgets keep each outage brief.
  const started = await startWorldOnProcesses(3, {
    env: { HUBSPOT_RETRY_BUDGET_MS: '300', HITL_OUTBOX_GIVE_UP_MS: '600000' },
  })
  w = started.w
  pool = started.pool
}, 60_000)
afterAll(async () => {
  await pool?.close()
  await w?.close()
})

const settleAll = async () => {
  await w.hs.settle()
  w.hs.faults.clear()
  // The hourly sweep, run now: what a quiet session still owes goes out.
  await w.driver.register()
  await w.hs.settle()
}

describe('[outbox-concurrency] owed customer messages on 3 processes', () => {
  it('[outbox-concurrency] each customer message reaches HubSpot once, in order, or the customer is told; never both, never neither', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(steps, async (plan) => {
        run++
        const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
        const threadId = threadOf(w, session)
        const said: string[] = []
        let ended = false
        let replies = 0
        const perform = async (item: Op): Promise<void> => {
          switch (item.kind) {
            case 'say': {
              if (ended || !w.bot.isActive(session)) return
              const text = `run ${run} message ${said.length + 1}`
              said.push(text)
              await w.bot.customerSays(session, { type: 'text', payload: { text } })
              return
            }
            case 'outage':
              w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 503, count: item.calls })
              return
            case 'refuse':
              w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 400, count: 1 })
              return
            case 'reply':
              if (!ended) w.hs.agent.reply(threadId, { actorId: 'A-111', text: `reply ${++replies}` })
              return
            case 'assign':
              if (!ended) w.hs.agent.assign(threadId, item.agent)
              return
            case 'sweep':
              await w.driver.register()
              return
            case 'close':
              if (ended) return
              ended = true
              w.hs.agent.close(threadId)
              return
            case 'end':
              if (ended || !w.bot.isActive(session)) return
              ended = true
              await w.bot.end(session)
              return
          }
        }
        for (const group of plan) await Promise.all(group.map(perform))
        await settleAll()
        // The session ends, as every session does: what the customer is still to be told is told.
        if (!ended) w.hs.agent.close(threadId)
        await w.hs.settle()

        const inHubSpot = threadMessages(w, threadId)
          .filter((m) => m.direction === 'INCOMING')
          .map((m) => m.text)
          .filter((text) => said.includes(text))
        const reported = w.bot.agentMessages(session).filter((m) => REPORTS.includes(String(m.payload.text)))
        // Once each, in the order written.
        expect(new Set(inHubSpot).size).toBe(inHubSpot.length)
        expect(inHubSpot).toEqual(said.filter((text) => inHubSpot.includes(text)))
        // Every other one was reported, once.
        expect(reported.length).toBe(said.length - inHubSpot.length)
        // Nothing is left owed.
        const owed = w.bp.store.messagesOf(session.conversationId).filter((m) => m.tags.delivery === 'owed')
        expect(owed).toEqual([])
      }),
      {
        numRuns: Number(process.env.OUTBOX_CONCURRENCY_RUNS ?? 10),
        endOnFailure: true,
        // A failure prints its seed: OUTBOX_CONCURRENCY_SEED replays it.
        ...(process.env.OUTBOX_CONCURRENCY_SEED && { seed: Number(process.env.OUTBOX_CONCURRENCY_SEED) }),
      }
    )
  }, 600_000)
})

describe('[outbox-concurrency] the interleavings that once lost messages', () => {
  const incoming = (threadId: string) =>
    threadMessages(w, threadId)
      .filter((m) => m.direction === 'INCOMING')
      .map((m) => m.text)

  it('[outbox-concurrency] two messages kept at once by two processes are both sent, once each', async () => {
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 503, count: 10_000 })
    await Promise.all(
      ['kept one', 'kept two'].map((text) => w.bot.customerSays(session, { type: 'text', payload: { text } }))
    )
    w.hs.faults.clear()
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'after the outage' } })
    const texts = incoming(threadId)
    expect(texts.filter((t) => t === 'kept one' || t === 'kept two').sort()).toEqual(['kept one', 'kept two'])
    expect(texts.at(-1)).toBe('after the outage')
    w.hs.agent.close(threadId)
    await w.hs.settle()
  })

  it('[outbox-concurrency] a flush started by an agent reply while a customer message is being kept loses nothing', async () => {
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    w.hs.agent.assign(threadId, 'A-111')
    await w.hs.settle()
    w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 503, count: 6 })
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'first, kept' } })
    w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Ann here' })
    await Promise.all([
      w.bot.customerSays(session, { type: 'text', payload: { text: 'second, during the flush' } }),
      w.hs.settle(),
    ])
    await settleAll()
    expect(incoming(threadId).filter((t) => t === 'first, kept' || t === 'second, during the flush')).toEqual([
      'first, kept',
      'second, during the flush',
    ])
    expect(w.bp.store.messagesOf(session.conversationId).filter((m) => m.tags.delivery === 'owed')).toEqual([])
    w.hs.agent.close(threadId)
    await w.hs.settle()
  })

  it('[outbox-concurrency] an owed message HubSpot refuses for good is reported and does not hold the ones after it', async () => {
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    w.hs.agent.assign(threadId, 'A-111')
    await w.hs.settle()
    w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 503, count: 10_000 })
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'refused later' } })
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'kept and sent' } })
    w.hs.faults.clear()
    w.hs.faults.inject({ method: 'POST', path: PUBLISH, status: 400, count: 1 })
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'sent after' } })
    expect(incoming(threadId).slice(-2)).toEqual(['kept and sent', 'sent after'])
    expect(w.bot.agentMessages(session).map((m) => m.payload.text)).toContain(REPORTS[1])
    w.hs.agent.close(threadId)
    await w.hs.settle()
  })
})
