import * as sdk from '@botpress/sdk'

export default new sdk.Integration({
  register: async () => {},
  unregister: async () => {},
  handler: async () => {},
  actions: {},
  channels: {},
})
