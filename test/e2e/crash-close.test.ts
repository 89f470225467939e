// [crash] The process handling an agent's close is killed right after each call it makes: after
// HubSpot's redelivery to a fresh process, the bot has one hitlStopped, and a reply the agent wrote
// just before closing (its own webhook not come yet) reaches the customer once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeSteps, startCrashWorld, type CrashWorld } from '../support/crash'
import { customerView, eventsOf, withheldAgentReply } from './helpers'

let crash: CrashWorld
beforeAll(async () => {
  crash = await startCrashWorld()
}, 60_000)
afterAll(() => crash?.close())

describe('[crash] a process killed at each step of a close', () => {
  it('[crash] a close: one hitlStopped and the last reply once, whichever step the process died after', async () => {
    const { w } = crash
    const closeWithLastWords = (threadId: string) => () => {
      withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'last words' })
      w.hs.agent.close(threadId)
    }
    const probe = await crash.activeSession()
    const steps = await crash.runWithCrash(0, closeWithLastWords(probe.threadId))
    expect(eventsOf(w, probe.session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    expect(customerView(w, probe.session).map((m) => m.payload.text)).toEqual(['Ann here', 'last words'])
    expect(steps.some((step) => step.path.endsWith('/events') && step.method === 'POST')).toBe(true)

    for (let crashAt = 1; crashAt <= steps.length; crashAt++) {
      const { session, threadId } = await crash.activeSession()
      const taken = await crash.runWithCrash(crashAt, closeWithLastWords(threadId))
      const context = `killed after step ${crashAt} of\n${describeSteps(taken)}`
      expect(
        eventsOf(w, session).map((e) => e.type),
        context
      ).toEqual(['hitlAssigned', 'hitlStopped'])
      expect(
        customerView(w, session).map((m) => m.payload.text),
        context
      ).toEqual(['Ann here', 'last words'])
    }
  }, 240_000)
})
