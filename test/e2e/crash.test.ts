// [crash] The process handling an agent reply or an assignment is killed right after each call it
// makes: after HubSpot's redelivery to a fresh process, the customer has the reply once, HubSpot
// shows it SENT, and the bot has one hitlAssigned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeSteps, startCrashWorld, type CrashWorld } from '../support/crash'
import { customerView, eventsOf, shownStatus, threadOf } from './helpers'

let crash: CrashWorld
beforeAll(async () => {
  crash = await startCrashWorld()
}, 60_000)
afterAll(() => crash?.close())

describe('[crash] a process killed at each step of an agent reply and of an assignment', () => {
  it('[crash] an agent reply: delivered once and reported SENT, whichever step the process died after', async () => {
    const { w } = crash
    const { session, threadId } = await crash.activeSession()
    // A HubSpot that shows replies without a status until the integration reports one: the report
    // is then one more step to die after.
    w.hs.settings.agentReplyStatus = null
    const steps = await crash.runWithCrash(0, () => w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'reply 0' }))
    expect(steps.some((step) => step.api === 'HubSpot' && step.method === 'PATCH')).toBe(true)
    expect(steps.some((step) => step.api === 'Botpress' && step.path.includes('/messages'))).toBe(true)

    for (let crashAt = 1; crashAt <= steps.length; crashAt++) {
      const text = `reply ${crashAt}`
      let messageId = ''
      const taken = await crash.runWithCrash(crashAt, () => {
        messageId = w.hs.agent.reply(threadId, { actorId: 'A-111', text }).id
      })
      const context = `killed after step ${crashAt} of\n${describeSteps(taken)}`
      expect(
        customerView(w, session).filter((m) => m.payload.text === text),
        context
      ).toHaveLength(1)
      expect(shownStatus(w, messageId), context).toBe('SENT')
    }
    const expected = ['Ann here', ...Array.from({ length: steps.length + 1 }, (_, i) => `reply ${i}`)]
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(expected)
    w.hs.settings.agentReplyStatus = 'SENT'
  }, 120_000)

  it('[crash] an assignment: one hitlAssigned, whichever step the process died after', async () => {
    const { w } = crash
    const newSession = async () => {
      const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
      await w.hs.settle()
      return { session, threadId: threadOf(w, session) }
    }
    const probe = await newSession()
    const steps = await crash.runWithCrash(0, () => w.hs.agent.assign(probe.threadId, 'A-111'))
    expect(eventsOf(w, probe.session).map((e) => e.type)).toEqual(['hitlAssigned'])
    expect(steps.some((step) => step.path.endsWith('/events') && step.method === 'POST')).toBe(true)

    for (let crashAt = 1; crashAt <= steps.length; crashAt++) {
      const { session, threadId } = await newSession()
      const taken = await crash.runWithCrash(crashAt, () => w.hs.agent.assign(threadId, 'A-111'))
      expect(eventsOf(w, session), `killed after step ${crashAt} of\n${describeSteps(taken)}`).toEqual([
        {
          type: 'hitlAssigned',
          payload: { conversationId: session.conversationId, userId: eventsOf(w, probe.session)[0]!.payload.userId },
        },
      ])
    }
  }, 120_000)
})
