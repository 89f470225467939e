// The operations measured one at a time, each in the steady state the brief asks for: a warm
// process, the integration registered, the customer linked and the agent already known.
import { randomUUID } from 'node:crypto'
import { startWorld, type World } from '../testbed/world'
import { CallRecorder } from './call-log'
import {
  createUserInput,
  hostCustomerFile,
  linkCustomer,
  openSession,
  parseStartHitlOutput,
  SMALL_PDF,
  startHitlInput,
  TINY_PNG,
  type Session,
} from './escalation'
import { measureOperation, timeAgentAction, timeInvocation, type Lab, type OperationResult } from './measure'
import { StoreWatcher } from './store-watcher'

export const AGENT = 'A-111'

// Bearer calls per 10 s and CRM searches per second, raised for every measurement.
export const RAISED_LIMITS = { rateLimitPer10s: 1_000_000, searchRateLimitPerSecond: 1_000_000 }

export type RepetitionPlan = { repetitions: number; warmups: number }

export type OperationPlans = Record<
  | 'register'
  | 'reregister'
  | 'createUser'
  | 'startHitl'
  | 'startHitlHistory5'
  | 'customerText'
  | 'customerImage'
  | 'agentAssigned'
  | 'agentText'
  | 'agentFile'
  | 'agentClosed'
  | 'stopHitl',
  RepetitionPlan
>

// The integration's own per-portal budget goes with the stand-in's limits: speed is measured here,
// capacity under the real limits by `npm run capacity`.
export const raiseLimits = (world: Pick<World, 'hs'>): void => {
  Object.assign(world.hs.settings, RAISED_LIMITS)
  process.env.HUBSPOT_CALLS_PER_10S = String(RAISED_LIMITS.rateLimitPer10s)
  process.env.HUBSPOT_SEARCHES_PER_SECOND = String(RAISED_LIMITS.searchRateLimitPerSecond)
}

export const openLab = async (): Promise<Lab> => {
  const world = await startWorld({ register: false })
  raiseLimits(world)
  return { world, recorder: new CallRecorder(world), watcher: new StoreWatcher(world.bp) }
}

export const closeLab = async (lab: Lab): Promise<void> => {
  lab.watcher.dispose()
  await lab.world.close()
}

// First install: every repetition gets a fresh HubSpot portal and Botpress workspace. Must run
// before the main lab opens, since each world points the process environment at its stand-ins.
export const measureRegister = (plan: RepetitionPlan): Promise<OperationResult> =>
  measureOperation('register', 'driver round trip', plan, async () => {
    const lab = await openLab()
    try {
      return await timeInvocation(lab, () => lab.world.driver.register())
    } finally {
      await closeLab(lab)
    }
  })

const assignAndWait = async (lab: Lab, session: Session): Promise<void> => {
  const assigned = lab.watcher.nextEvent(session.conversationId, 'hitlAssigned')
  lab.world.hs.agent.assign(session.threadId, AGENT)
  await assigned
  await lab.world.hs.settle()
}

// Everything measured on one installed integration, in an order where each step's preconditions
// come from the previous ones.
export const measureSteadyState = async (lab: Lab, plans: OperationPlans): Promise<OperationResult[]> => {
  const { world } = lab
  const { driver, bp, hs } = world
  const runId = randomUUID().slice(0, 8)
  await driver.register()
  await hs.settle()

  const results: OperationResult[] = []
  results.push(
    await measureOperation('reregister', 'driver round trip', plans.reregister, () =>
      timeInvocation(lab, () => driver.register())
    )
  )

  results.push(
    await measureOperation('createUser', 'driver round trip', plans.createUser, (index) =>
      timeInvocation(lab, () => driver.callAction('createUser', createUserInput(index, runId)))
    )
  )

  const customerUserId = await linkCustomer(driver, { name: 'Jane Bench', email: `jane-${runId}@example.com` })
  for (const [name, historyLength] of [
    ['startHitl', 20],
    ['startHitlHistory5', 5],
  ] as const) {
    results.push(
      await measureOperation(name, 'driver round trip', plans[name], async () => {
        let conversationId = ''
        const repetition = await timeInvocation(lab, async () => {
          conversationId = parseStartHitlOutput(
            await driver.callAction('startHitl', startHitlInput(customerUserId, historyLength))
          )
        })
        if (!bp.store.conversations.get(conversationId)?.tags.hubspotThreadId) {
          repetition.problems.push('startHitl left no HubSpot thread ID')
        }
        return repetition
      })
    )
  }

  const main = await openSession(bp, driver, customerUserId)
  const sendAsCustomer = async (type: string, payload: Record<string, string>) => {
    let acknowledged = false
    const repetition = await timeInvocation(lab, async () => {
      const sent = await driver.sendMessage({
        conversationId: main.conversationId,
        type,
        payload: { ...payload, userId: customerUserId },
      })
      acknowledged = Boolean(sent.tags.hubspotMessageId)
    })
    if (!acknowledged) repetition.problems.push('the message was not acknowledged with its HubSpot message ID')
    return repetition
  }
  results.push(
    await measureOperation('customerText', 'driver round trip', plans.customerText, (index) =>
      sendAsCustomer('text', { text: `Any news on my order? (${index})` })
    )
  )
  results.push(
    await measureOperation('customerImage', 'driver round trip', plans.customerImage, async (index) => {
      const imageUrl = await hostCustomerFile(bp, driver, {
        name: `damage-${index}.png`,
        content: TINY_PNG,
        contentType: 'image/png',
      })
      return sendAsCustomer('image', { imageUrl })
    })
  )

  // The agent becomes known to the integration before any assignment is measured.
  await assignAndWait(lab, await openSession(bp, driver, customerUserId))
  results.push(
    await measureOperation('agentAssigned', 'agent action → effect in Botpress', plans.agentAssigned, async () => {
      const session = await openSession(bp, driver, customerUserId)
      return timeAgentAction(
        lab,
        (watcher) => watcher.nextEvent(session.conversationId, 'hitlAssigned'),
        () => hs.agent.assign(session.threadId, AGENT)
      )
    })
  )

  await assignAndWait(lab, main)
  results.push(
    await measureOperation('agentText', 'agent action → effect in Botpress', plans.agentText, (index) =>
      timeAgentAction(
        lab,
        (watcher) => watcher.nextIncomingMessage(main.conversationId, 'text'),
        () => hs.agent.reply(main.threadId, { actorId: AGENT, text: `Your replacement ships tomorrow (${index})` })
      )
    )
  )
  results.push(
    await measureOperation('agentFile', 'agent action → effect in Botpress', plans.agentFile, (index) =>
      timeAgentAction(
        lab,
        (watcher) => watcher.nextIncomingMessage(main.conversationId, 'file'),
        () =>
          hs.agent.reply(main.threadId, {
            actorId: AGENT,
            files: [{ name: `return-label-${index}.pdf`, contentType: 'application/pdf', data: SMALL_PDF }],
          })
      )
    )
  )

  results.push(
    await measureOperation('agentClosed', 'agent action → effect in Botpress', plans.agentClosed, async () => {
      const session = await openSession(bp, driver, customerUserId)
      return timeAgentAction(
        lab,
        (watcher) => watcher.nextEvent(session.conversationId, 'hitlStopped'),
        () => hs.agent.close(session.threadId)
      )
    })
  )

  results.push(
    await measureOperation('stopHitl', 'driver round trip', plans.stopHitl, async () => {
      const session = await openSession(bp, driver, customerUserId)
      const repetition = await timeInvocation(lab, () =>
        driver.callAction('stopHitl', { conversationId: session.conversationId })
      )
      if (hs.portal.threads.get(session.threadId)?.status !== 'CLOSED') {
        repetition.problems.push('stopHitl left the HubSpot thread open')
      }
      return repetition
    })
  )
  return results
}
