// The request pipeline: record the call, apply latency and injected faults, route, authenticate,
// rate-limit and check scopes, run the handler, and turn errors into HubSpot error bodies.
import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { authenticateBearer, authenticateDeveloper, requireScopes } from './auth'
import { CORS_HEADERS } from './control'
import { HubSpotError, notFound, rateLimited } from './errors'
import { bearerTokenOf, readBody, sleep, type AuthUsed, type Reply } from './http'
import type { RouteDef, RouteTable } from './router'
import type { CallRecord, StandInState } from './state'

const presentedAuth = (headers: IncomingHttpHeaders, query: URLSearchParams): CallRecord['auth'] => {
  if (bearerTokenOf(headers)) return 'bearer'
  if (query.has('hapikey')) return 'hapikey'
  return 'none'
}

const authenticate = (
  state: StandInState,
  def: RouteDef,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  params: Record<string, string>
): AuthUsed => {
  switch (def.auth) {
    case 'none':
      return { kind: 'none' }
    case 'bearer':
      return { kind: 'bearer', token: authenticateBearer(state, headers) }
    case 'developerKey':
      return authenticateDeveloper(state, query, headers, { appIdInPath: params.appId, allowBearer: false })
    case 'developerKeyOrBearer':
      return authenticateDeveloper(state, query, headers, { allowBearer: true })
  }
}

const errorReply = (error: unknown): Reply => {
  if (error instanceof HubSpotError) return { status: error.status, body: error.body, headers: error.headers }
  console.error('[hubspot stand-in] internal error:', error)
  return {
    status: 500,
    body: {
      status: 'error',
      message: `internal error: ${(error as Error)?.message ?? String(error)}`,
      correlationId: randomUUID(),
      category: 'INTERNAL_ERROR',
    },
  }
}

const rateLimitHeaders = (state: StandInState): Record<string, string> => ({
  'X-HubSpot-RateLimit-Max': String(state.limiters.tenSecondly.max()),
  'X-HubSpot-RateLimit-Remaining': String(state.limiters.tenSecondly.remaining()),
  'X-HubSpot-RateLimit-Interval-Milliseconds': String(state.limiters.tenSecondly.windowMs),
})

const handleApi = async (
  sites: PortalSite[],
  req: IncomingMessage,
  url: URL,
  method: string,
  call: CallRecord
): Promise<Reply> => {
  const rawBody = await readBody(req)
  const { state, apiRoutes: routes } = siteOf(sites, req, url, rawBody)
  if (sites.length > 1) call.portalId = state.portalId
  const latency = state.faults.latencyFor(method, url.pathname)
  if (latency > 0) await sleep(latency)
  const fault = state.faults.takeApiFault(method, url.pathname)
  if (fault) {
    if (fault.delayMs > 0) await sleep(fault.delayMs)
    throw fault.error
  }
  const match = routes.find(method, url.pathname)
  if (!match) throw notFound(`The HubSpot stand-in serves no ${method} ${url.pathname}.`)
  const auth = authenticate(state, match.def, url.searchParams, req.headers, match.params)
  if (auth.kind === 'developerKey') call.auth = 'hapikey'
  let headers: Record<string, string> = {}
  if (auth.kind === 'bearer') {
    call.auth = 'bearer'
    if (match.def.rateLimited !== false) {
      if (!state.limiters.tenSecondly.tryHit()) throw rateLimited('TEN_SECONDLY_ROLLING')
      headers = rateLimitHeaders(state)
    }
    requireScopes(auth.token, match.def.scopes ?? [])
  }
  const reply = await match.def.handler({
    method,
    url,
    params: match.params,
    query: url.searchParams,
    headers: req.headers,
    rawBody,
    auth,
  })
  call.status = reply.status
  await state.afterApiCall?.(call)
  return { ...reply, headers: { ...headers, ...reply.headers } }
}

const handleControl = async (routes: RouteTable, req: IncomingMessage, url: URL, method: string): Promise<Reply> => {
  const rawBody = await readBody(req)
  const match = routes.find(method, url.pathname)
  if (!match) throw notFound(`The control API has no ${method} ${url.pathname}; see testbed/README.md.`)
  return match.def.handler({
    method,
    url,
    params: match.params,
    query: url.searchParams,
    headers: req.headers,
    rawBody,
    auth: { kind: 'none' },
  })
}

const send = (res: ServerResponse, reply: Reply, extraHeaders: Record<string, string>): void => {
  const headers = { ...extraHeaders, ...reply.headers }
  if (reply.bytes) {
    res.writeHead(reply.status, { 'Content-Length': String(reply.bytes.length), ...headers })
    res.end(reply.bytes)
    return
  }
  if (reply.body !== undefined) {
    const payload = Buffer.from(JSON.stringify(reply.body))
    res.writeHead(reply.status, {
      'Content-Type': 'application/json;charset=utf-8',
      'Content-Length': String(payload.length),
      ...headers,
    })
    res.end(payload)
    return
  }
  res.writeHead(reply.status, headers)
  res.end()
}

// One portal the app is installed in, with its own routes (they act on that portal's records).
export type PortalSite = { state: StandInState; apiRoutes: RouteTable; controlRoutes: RouteTable }

const formValuesOf = (req: IncomingMessage, rawBody: Buffer): string[] => {
  if (!(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return []
  const form = new URLSearchParams(rawBody.toString('utf8'))
  return ['code', 'refresh_token', 'token'].flatMap((field) => form.get(field) ?? [])
}

const holdsToken = (site: PortalSite, token: string): boolean => {
  const { tokens } = site.state.portal
  return tokens.access.has(token) || tokens.refresh.has(token) || tokens.authCodes.has(token)
}

// Which portal an API request is about: the one its bearer token, OAuth code or token belongs to,
// or that its path names (the account chooser's authorize URL, a file URL); the first otherwise.
const siteOf = (sites: PortalSite[], req: IncomingMessage, url: URL, rawBody: Buffer): PortalSite => {
  const [first] = sites
  if (sites.length === 1) return first!
  const byPortal = /^\/(?:oauth|hubfs)\/(\d+)\//.exec(url.pathname)?.[1]
  if (byPortal) return sites.find((site) => site.state.portalId === byPortal) ?? first!
  const tokenInPath = /^\/oauth\/v1\/(?:access|refresh)-tokens\/([^/]+)/.exec(url.pathname)?.[1]
  const candidates = [bearerTokenOf(req.headers), tokenInPath, ...formValuesOf(req, rawBody)]
  for (const token of candidates) {
    if (!token) continue
    const site = sites.find((candidate) => holdsToken(candidate, decodeURIComponent(token)))
    if (site) return site
  }
  return first!
}

export const createRequestListener =
  (sites: PortalSite[]) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    const { state } = sites[0]!
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(`${state.baseUrl}${req.url ?? '/'}`)
    if (url.pathname === '/_testbed' || url.pathname.startsWith('/_testbed/')) {
      // ?portalId= acts on another portal the app is installed in.
      const portalId = url.searchParams.get('portalId')
      const site = portalId === null ? sites[0] : sites.find((candidate) => candidate.state.portalId === portalId)
      const reply = site
        ? handleControl(site.controlRoutes, req, url, method)
        : Promise.reject(notFound(`No portal ${portalId}; portals: ${sites.map((s) => s.state.portalId).join(', ')}.`))
      void reply.catch(errorReply).then((answer) => send(res, answer, CORS_HEADERS))
      return
    }
    const call: CallRecord = {
      method,
      path: url.pathname,
      status: 0,
      auth: presentedAuth(req.headers, url.searchParams),
      at: Date.now(),
    }
    state.calls.push(call)
    void handleApi(sites, req, url, method, call)
      .catch(errorReply)
      .then((reply) => {
        call.status = reply.status
        send(res, reply, {})
      })
  }
