export * from './configuration'
export * from './states'
export * from './tags'
export * from './entities'

export const integrationName = 'hubspot-inbox-hitl'
// bp deploy names an integration of any workspace but Botpress's own `<workspace handle>/<name>`
// (it asks to prefix the handle when the definition has none); Botpress's global route is named after it.
export const deployedIntegrationName = (workspaceHandle: string): string => `${workspaceHandle}/${integrationName}`
export const WORKSPACE_HANDLE_PATTERN = /^[a-z0-9][a-z0-9-]*$/
export const integrationVersion = '2.0.0'
