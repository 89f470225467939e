// The harness of the [crash] tests: the integration as one process behind a pool, killed right
// after its n-th call to Botpress or HubSpot (the call took effect; the process never learnt it, and
// HubSpot got no answer to its webhook), then started afresh as Botpress Cloud does.
import { expect } from 'vitest'
import type { HitlSession } from '../../testbed/botpress/hitl-bot'
import { startWorldOnProcesses } from '../../testbed/multi-process'
import type { World } from '../../testbed/world'
import { customerView, threadOf } from '../e2e/helpers'

export type Step = { api: 'Botpress' | 'HubSpot'; method: string; path: string }

export type CrashWorld = {
  w: World
  // Runs `act`, kills the process after its `crashAt`-th call (1-based; 0: never), waits until
  // HubSpot's redeliveries are done, and returns every call the integration made meanwhile.
  runWithCrash(crashAt: number, act: () => void): Promise<Step[]>
  // A session with an agent assigned and one reply delivered.
  activeSession(): Promise<{ session: HitlSession; threadId: string }>
  close(): Promise<void>
}

export const describeSteps = (steps: Step[]): string =>
  steps.map((step, index) => `${index + 1}. ${step.api} ${step.method} ${step.path}`).join('\n')

export const startCrashWorld = async (): Promise<CrashWorld> => {
  // A killed process is an infrastructure failure HubSpot recovers from by delivering again; its
  // 2-minute wait is shortened here so a test sees the redelivery.
  const { w, pool } = await startWorldOnProcesses(1, { hubspot: { webhookRetryDelaysMs: [1_000, 2_000, 4_000] } })

  const runWithCrash = async (crashAt: number, act: () => void): Promise<Step[]> => {
    const steps: Step[] = []
    let crashed = false
    const onCall = (api: Step['api']) => async (call: { method: string; path: string }) => {
      steps.push({ api, method: call.method, path: call.path })
      if (!crashed && steps.length === crashAt) {
        crashed = true
        await pool.crash()
      }
    }
    w.bp.afterApiCall = onCall('Botpress')
    w.hs.afterApiCall = onCall('HubSpot')
    try {
      act()
      await w.hs.settle()
      await pool.recovered()
      await w.hs.settle()
    } finally {
      w.bp.afterApiCall = undefined
      w.hs.afterApiCall = undefined
    }
    return steps
  }

  const activeSession = async () => {
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    w.hs.agent.assign(threadId, 'A-111')
    w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Ann here' })
    await w.hs.settle()
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Ann here'])
    return { session, threadId }
  }

  return {
    w,
    runWithCrash,
    activeSession,
    close: async () => {
      await w.close()
      await pool.close()
    },
  }
}
