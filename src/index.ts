import * as sdk from '@botpress/sdk'
import { createUser, startHitl, stopHitl } from './hitl/actions'
import { hitlChannel } from './hitl/channel'
import { createDeps } from './hitl/context'
import { explain } from './hitl/errors'
import { claimPortal } from './hitl/one-click'
import { sweepSessions } from './hitl/session-work'
import { setUp } from './hitl/setup/setup'
import { tearDown } from './hitl/setup/teardown'
import { handleWebhook } from './hitl/webhook/routes'
import type { Integration } from './types'

export default new sdk.Integration<Integration>({
  register: async (props) => {
    const deps = createDeps(props, 'action')
    let outcome
    try {
      outcome = await setUp(deps)
    } catch (error) {
      throw explain(error, 'setting up the custom channel', deps)
    }
    if (outcome.status !== 'ready') return
    // Botpress calls register again every hour: the sweep that settles what quiet sessions hold.
    await props.client.configureIntegration({ scheduleRegisterCall: 'hourly' })
    // One-click: the portal is claimed again, in case the claim of the connection page was lost.
    if (deps.mode === 'one-click' && outcome.setup.portalId) await claimPortal(deps, outcome.setup.portalId)
    const settled = await sweepSessions(deps)
    if (settled) deps.logger.info(`Settled the work ${settled} session(s) still held`)
  },
  unregister: async (props) => {
    await tearDown(createDeps(props, 'action'))
  },
  actions: { createUser, startHitl, stopHitl },
  channels: hitlChannel,
  handler: handleWebhook,
})
