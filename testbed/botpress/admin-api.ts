// A small local stand-in of Botpress's admin API: the routes the real CLI (`bp deploy --dryRun`,
// CLI 5.5.6 with @botpress/client 1.35.0) calls to deploy an integration, each request recorded.
// Nothing is deployed. The CLI reads the workspace (its handle prefixes an unprefixed integration
// name), looks the integration up by name and version, private then public (404: not deployed yet),
// then the previous version (`<version`, 404 too), and a dry run ends with
// POST /v1/admin/integrations/validate, whose body is the definition it would upload (the hitl
// interface's ID comes from bp_modules, so no interface route is called). Any other route: 404.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type AdminApiRequest = {
  method: string
  path: string
  query: string
  headers: Record<string, string>
  body: unknown
}

export type AdminApiStandIn = {
  url: string
  token: string
  workspaceId: string
  requests: AdminApiRequest[]
  // The body of the dry run's validation request: what `bp deploy` would upload.
  validatedIntegration(): Record<string, unknown> | undefined
  close(): Promise<void>
}

type Answer = { status: number; body: unknown }

const notFound = (what: string): Answer => ({
  status: 404,
  body: { id: `err_${randomUUID()}`, code: 404, type: 'ResourceNotFound', message: `${what} doesn't exist` },
})

const unauthorized = (): Answer => ({
  status: 401,
  body: { id: `err_${randomUUID()}`, code: 401, type: 'Unauthorized', message: 'Invalid or missing token' },
})

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string))
  const text = Buffer.concat(chunks).toString('utf8')
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

export const startAdminApiStandIn = async (
  options: { token?: string; workspaceId?: string } = {}
): Promise<AdminApiStandIn> => {
  const token = options.token ?? `bp_pat_${randomUUID().replace(/-/g, '')}`
  const workspaceId = options.workspaceId ?? 'wkspace_deploy_check'
  const requests: AdminApiRequest[] = []
  const now = new Date().toISOString()
  const workspace = {
    id: workspaceId,
    name: 'Deploy check',
    ownerId: 'user_deploy_check',
    createdAt: now,
    updatedAt: now,
    botCount: 0,
    billingVersion: 'v4',
    plan: 'community',
    blocked: false,
    spendingLimit: 0,
    about: '',
    profilePicture: '',
    contactEmail: 'deploy-check@example.com',
    website: '',
    socialAccounts: [],
    isPublic: false,
    handle: 'deploycheck',
  }

  const answer = (request: AdminApiRequest): Answer => {
    if (request.headers.authorization !== `Bearer ${token}`) return unauthorized()
    const { method, path } = request
    if (method === 'GET' && path === `/v1/admin/workspaces/${workspaceId}`) return { status: 200, body: workspace }
    if (method === 'GET' && /^\/v1\/admin\/(hub\/)?integrations\/[^/]+\/[^/]+$/.test(path)) {
      return notFound('Integration')
    }
    if (method === 'POST' && path === '/v1/admin/integrations/validate') return { status: 200, body: {} }
    return notFound(`Route ${method} ${path}`)
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://admin-api.local')
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name.toLowerCase()] = value
      }
      const request: AdminApiRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        query: url.search.replace(/^\?/, ''),
        headers,
        body: await readBody(req),
      }
      requests.push(request)
      const { status, body } = answer(request)
      const payload = Buffer.from(JSON.stringify(body))
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(payload.length) })
      res.end(payload)
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    workspaceId,
    requests,
    validatedIntegration: () => {
      const validation = requests.find(
        (request) => request.method === 'POST' && request.path === '/v1/admin/integrations/validate'
      )
      return validation?.body && typeof validation.body === 'object'
        ? (validation.body as Record<string, unknown>)
        : undefined
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
