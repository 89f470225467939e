// [multi-process] The integration as 3 processes behind one URL, requests spread across them:
// duplicates of every webhook, sent to different processes at the same instant, make one event and
// one message each way.
import { afterEach, describe, expect, it } from 'vitest'
import { poolEnvironment, startProcessPool, type ProcessPool } from '../../testbed/multi-process'
import { uploadServedProject } from '../../testbed/world'
import {
  customerView,
  eventsOf,
  postWebhook,
  sendAppWebhook,
  settle,
  threadMessages,
  threadOf,
  v3Headers,
  withheldAgentReply,
  world,
} from './helpers'

let pool: ProcessPool | undefined
afterEach(async () => {
  await pool?.close()
  pool = undefined
})

const PROCESSES = 3

const threeProcessWorld = async () => {
  pool = await startProcessPool(PROCESSES)
  const w = await world({ integrationUrl: pool.url, register: false, uploadProject: false })
  await pool.start(poolEnvironment())
  await uploadServedProject(w.hs, w.driver.webhookUrl)
  await w.driver.register()
  return w
}

describe('[multi-process] three processes, duplicates at the same instant', () => {
  it('[multi-process] an assignment, a close and an agent reply each delivered to all three processes at once: one hitlAssigned, one hitlStopped, one message', async () => {
    const w = await threeProcessWorld()
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'Still there?' } })
    expect(threadMessages(w, threadId).filter((m) => m.text === 'Still there?')).toHaveLength(1)

    const assignment = {
      subscriptionType: 'conversation.propertyChange',
      objectId: Number(threadId),
      propertyName: 'assignedTo',
      propertyValue: '111',
    }
    const assigned = await Promise.all(Array.from({ length: PROCESSES }, () => sendAppWebhook(w, [assignment])))
    expect(assigned.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(1)
    // A process that found another one handling the event asked HubSpot to deliver it again.
    expect(assigned.every((answer) => answer.status === 200 || answer.status === 500)).toBe(true)
    await Promise.all(Array.from({ length: PROCESSES }, () => sendAppWebhook(w, [assignment])))
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned'])

    const reply = withheldAgentReply(w, threadId, { actorId: 'A-111', text: 'Ann here' })
    await Promise.all(Array.from({ length: PROCESSES }, () => postWebhook(w, reply.body, v3Headers(w, reply.body))))
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Ann here'])

    const close = {
      subscriptionType: 'conversation.propertyChange',
      objectId: Number(threadId),
      propertyName: 'status',
      propertyValue: 'CLOSED',
    }
    await Promise.all(Array.from({ length: PROCESSES }, () => sendAppWebhook(w, [close])))
    await Promise.all(Array.from({ length: PROCESSES }, () => sendAppWebhook(w, [close])))
    await settle(w)
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    expect(pool!.handled.every((count) => count > 0)).toBe(true)
  })

  it('[multi-process] HubSpot duplicating every delivery across the processes: one of everything', async () => {
    const w = await threeProcessWorld()
    w.hs.settings.webhookConcurrency = PROCESSES
    w.hs.faults.webhooks({ duplicateRate: 1 })
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const threadId = threadOf(w, session)
    w.hs.agent.assign(threadId, 'A-111')
    for (const text of ['one', 'two', 'three']) w.hs.agent.reply(threadId, { actorId: 'A-111', text })
    await settle(w)
    w.hs.agent.close(threadId)
    await settle(w)
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['one', 'two', 'three'])
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
  })
})
