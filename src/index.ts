import * as sdk from '@botpress/sdk'
import { createUser, startHitl, stopHitl } from './hitl/actions'
import { hitlChannel } from './hitl/channel'
import { createDeps } from './hitl/context'
import { explain } from './hitl/errors'
import { setUp, tearDown } from './hitl/setup'
import { handleWebhook } from './hitl/webhook'
import type { Integration } from './types'

export default new sdk.Integration<Integration>({
  register: async (props) => {
    const deps = createDeps(props, 'action')
    try {
      await setUp(deps)
    } catch (error) {
      throw explain(error, 'setting up the custom channel', deps.connectUrl)
    }
  },
  unregister: async (props) => {
    await tearDown(createDeps(props, 'action'))
  },
  actions: { createUser, startHitl, stopHitl },
  channels: hitlChannel,
  handler: handleWebhook,
})
