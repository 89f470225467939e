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
  state: StandInState,
  routes: RouteTable,
  req: IncomingMessage,
  url: URL,
  method: string,
  call: CallRecord
): Promise<Reply> => {
  const rawBody = await readBody(req)
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

export const createRequestListener =
  (state: StandInState, apiRoutes: RouteTable, controlRoutes: RouteTable) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(`${state.baseUrl}${req.url ?? '/'}`)
    if (url.pathname === '/_testbed' || url.pathname.startsWith('/_testbed/')) {
      void handleControl(controlRoutes, req, url, method)
        .catch(errorReply)
        .then((reply) => send(res, reply, CORS_HEADERS))
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
    void handleApi(state, apiRoutes, req, url, method, call)
      .catch(errorReply)
      .then((reply) => {
        call.status = reply.status
        send(res, reply, {})
      })
  }
