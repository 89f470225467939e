export * from './configuration'
export * from './states'
export * from './tags'
export * from './entities'

export const integrationName = 'hubspot-inbox-hitl'
export const integrationVersion = '2.0.0'
