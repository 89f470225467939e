// Who may connect HubSpot: the proof a connect request must bring, and the OAuth state that carries it.
import { createHmac } from 'node:crypto'
import { constantTimeEqual } from '../hubspot/signature'
import { isConnectKey } from './connect-key'
import { isNotFound, type Deps } from './context'

export const STATE_LIFETIME_MS = 30 * 60 * 1000
const USED_STATES_KEPT = 50

// Who may connect, and login CSRF. Only a request that carries the key (made from the client
// secret, connect-key.ts) is given an OAuth state; the state is signed, lives 30 minutes, is used
// once, and says how the callback must prove it comes from the browser that started:
//
// - "cookie": /oauth/start sets a short-lived HttpOnly cookie holding the state's nonce, then sends
//   the browser back to itself (`check`) to see whether the cookie comes back through Botpress's
//   webhook gateway. When it does, the state is bound to it: a callback without that cookie is
//   refused, so a victim lured to a callback URL carrying someone else's code and state connects
//   nothing.
// - "key": the cookie did not come back (the gateway, or the browser, drops cookies). The callback
//   then connects nothing by itself: it shows a page asking for the connect link (or its key) again,
//   and connects only when the key given is right. An attacker who lures the bot builder there with
//   their own code cannot supply the key; the page tells the builder to go on only if they started
//   the connection themselves, so the key is not given to someone else's approval by mistake.
//
// Either way an attacker needs the key (or the builder's cookie), and which proof a state demands
// is signed into it: a "cookie" state cannot be downgraded to the key page.
export type Binding = 'cookie' | 'key'
type State = { issuedAt: number; nonce: string; binding: Binding }

export const NONCE = /^[A-Za-z0-9_-]{16,64}$/

const signState = (deps: Deps, binding: Binding, issuedAt: number, nonce: string) =>
  createHmac('sha256', deps.config.clientSecret)
    .update(`connect-state:keyed:${deps.ctx.webhookId}:${binding}:${issuedAt}:${nonce}`)
    .digest('base64url')

export const encodeState = (deps: Deps, state: State): string =>
  `${state.issuedAt}.${state.nonce}.${state.binding}.${signState(deps, state.binding, state.issuedAt, state.nonce)}`

// A state this installation issued, not expired; undefined for anything else.
export const decodeState = (deps: Deps, raw: string | null, now = Date.now()): State | undefined => {
  const [issued, nonce, binding, signature, ...rest] = (raw ?? '').split('.')
  const issuedAt = Number(issued)
  if (rest.length || !nonce || !NONCE.test(nonce) || !signature || (binding !== 'cookie' && binding !== 'key')) {
    return undefined
  }
  if (!Number.isSafeInteger(issuedAt) || now - issuedAt > STATE_LIFETIME_MS || issuedAt - now > 60_000) return undefined
  if (!constantTimeEqual(signature, signState(deps, binding, issuedAt, nonce))) return undefined
  return { issuedAt, nonce, binding }
}

const cookieName = (deps: Deps) =>
  `hitl_connect_${createHmac('sha256', 'cookie').update(deps.ctx.webhookId).digest('hex').slice(0, 12)}`

export const cookie = (deps: Deps, value: string, maxAgeSeconds: number): string => {
  const url = new URL(deps.webhookUrl)
  const secure = url.protocol === 'https:' ? '; Secure' : ''
  return `${cookieName(deps)}=${value}; Path=${url.pathname || '/'}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`
}

const cookieValue = (deps: Deps, header: string | undefined): string | undefined => {
  const name = cookieName(deps)
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

export const cookieHolds = (deps: Deps, header: string | undefined, nonce: string): boolean => {
  const value = cookieValue(deps, header)
  return !!value && constantTimeEqual(value, nonce)
}

// The key a request brings: `key`, or `link` holding the whole connect link (or only the key) as
// the bot builder pasted it.
export const keyBrought = (deps: Deps, params: URLSearchParams): { given: boolean; valid: boolean } => {
  const typed = (params.get('link') ?? params.get('key') ?? '').trim()
  if (!typed) return { given: false, valid: false }
  let key: string | null = typed
  if (/^https?:\/\//i.test(typed)) {
    try {
      key = new URL(typed).searchParams.get('key')
    } catch {
      key = null
    }
  }
  return { given: true, valid: isConnectKey(deps.config.clientSecret, deps.ctx.webhookId, key) }
}

export const readUsedStates = async (deps: Deps): Promise<string[]> => {
  try {
    const { state } = await deps.client.getState({ type: 'integration', id: deps.ctx.integrationId, name: 'connect' })
    return (state.payload as { usedStates?: string[] } | null)?.usedStates ?? []
  } catch (error) {
    if (isNotFound(error)) return []
    throw error
  }
}

// Single use: the nonce is recorded before the code is traded.
export const markUsed = async (deps: Deps, nonce: string, used: string[]): Promise<void> => {
  await deps.client.setState({
    type: 'integration',
    id: deps.ctx.integrationId,
    name: 'connect',
    payload: { usedStates: [...used, nonce].slice(-USED_STATES_KEPT) },
  })
}
