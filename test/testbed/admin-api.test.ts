// The stand-in of Botpress's admin API that `npm run deploy-check` points the real CLI at.
import { afterEach, describe, expect, it } from 'vitest'
import { startAdminApiStandIn, type AdminApiStandIn } from '../../testbed/botpress/admin-api'

const open: AdminApiStandIn[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((api) => api.close()))
})

const start = async () => {
  const api = await startAdminApiStandIn()
  open.push(api)
  const call = async (method: string, path: string, body?: unknown, token = api.token) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'x-workspace-id': api.workspaceId,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }
  return { api, call }
}

describe('Botpress admin API stand-in', () => {
  it('answers the routes of bp deploy --dryRun and records every request', async () => {
    const { api, call } = await start()
    const workspace = await call('GET', `/v1/admin/workspaces/${api.workspaceId}`)
    expect(workspace.status).toBe(200)
    expect(workspace.body.handle).toBe('deploycheck')
    // Not deployed yet, neither privately nor on the hub, nor any earlier version.
    for (const path of [
      '/v1/admin/integrations/deploycheck%2Fhubspot-inbox-hitl/2.0.0',
      '/v1/admin/hub/integrations/deploycheck%2Fhubspot-inbox-hitl/%3C2.0.0',
    ]) {
      const lookup = await call('GET', path)
      expect(lookup.status).toBe(404)
      expect(lookup.body.type).toBe('ResourceNotFound')
    }
    expect(api.validatedIntegration()).toBeUndefined()
    const definition = { name: 'deploycheck/hubspot-inbox-hitl', version: '2.0.0', secrets: { CLIENT_ID: 'x' } }
    expect((await call('POST', '/v1/admin/integrations/validate', definition)).status).toBe(200)
    expect(api.validatedIntegration()).toEqual(definition)
    expect(api.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /v1/admin/workspaces/${api.workspaceId}`,
      'GET /v1/admin/integrations/deploycheck%2Fhubspot-inbox-hitl/2.0.0',
      'GET /v1/admin/hub/integrations/deploycheck%2Fhubspot-inbox-hitl/%3C2.0.0',
      'POST /v1/admin/integrations/validate',
    ])
  })

  it('refuses another token and routes the CLI does not call', async () => {
    const { api, call } = await start()
    expect((await call('GET', `/v1/admin/workspaces/${api.workspaceId}`, undefined, 'bp_pat_other')).status).toBe(401)
    expect((await call('POST', '/v1/admin/integrations', {})).status).toBe(404)
  })
})
