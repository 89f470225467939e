// [plugin-agent] The hitl plugin takes the author of the first message on an unassigned session for
// its agent. A notice to the customer (a file that did not reach the agent) is posted by a user of
// its own, so it is posted only once the plugin has recorded the agent HubSpot assigned: whatever
// the order in which the bot sees the assignment and the notice, the plugin's agent is that agent.
import { describe, expect, it } from 'vitest'
import { PLUGIN_MESSAGES } from '../../testbed/botpress/hitl-bot'
import { customerView, escalated, settle, world, sleep } from './helpers'

const joined = (
  w: Awaited<ReturnType<typeof world>>,
  session: Parameters<Awaited<ReturnType<typeof world>>['bot']['upstreamMessages']>[0]
) => w.bot.upstreamMessages(session).filter((m) => m.payload.text === PLUGIN_MESSAGES.agentAssigned)

describe('[plugin-agent] the agent the plugin records is the one HubSpot assigned', () => {
  it('[plugin-agent] a notice waiting for the assignment is posted after the plugin recorded the agent', async () => {
    const { w, session, threadId } = await escalated()
    await w.bot.customerSays(session, { type: 'image', payload: { imageUrl: 'http://169.254.169.254/x.png' } })
    expect(customerView(w, session)).toEqual([])
    w.hs.agent.assign(threadId, 'A-111')
    await settle(w)
    expect(w.bot.status(session)).toMatchObject({ agentName: 'Ann Agent' })
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual([
      expect.stringMatching(/^Your file “x.png” did not reach the agent/),
    ])
    expect(joined(w, session)).toHaveLength(1)
  })

  it('[plugin-agent] a notice written while hitlAssigned is still on its way to the plugin waits for it', async () => {
    // HubSpot assigns at once; the plugin activates late, so hitlAssigned is scheduled for then.
    const w = await world({ plugin: { activationDelayMs: 1_000 } })
    w.hs.settings.autoAssign = { actorId: 'A-111', delayMs: 0 }
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    await settle(w)
    while (!w.bot.isActive(session)) await sleep(20)
    // The customer's file fails right after activation, before the scheduled hitlAssigned comes.
    await w.bot.customerSays(session, { type: 'image', payload: { imageUrl: 'http://169.254.169.254/y.png' } })
    while (w.bot.status(session)?.agentUserId === undefined) await sleep(20)
    expect(w.bot.status(session)).toMatchObject({ agentName: 'Ann Agent' })
    // The notice goes out with the session's next activity.
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'Did you get it?' } })
    await settle(w)
    expect(w.bot.status(session)).toMatchObject({ agentName: 'Ann Agent' })
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual([
      expect.stringMatching(/^Your file “y.png” did not reach the agent/),
    ])
    expect(joined(w, session)).toHaveLength(1)
  })
})
