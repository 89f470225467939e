// The API calls the integration made during one measured window, read from the stand-ins' call logs.
//
// Attribution: during a window nothing but the integration calls either stand-in's API. The bench's
// own steps (the driver, agent actions in the HubSpot stand-in, hosting customer files) either work
// on the stand-ins' in-memory stores, go through the control API or webhook relay (neither is
// logged), or run before the window opens.
import type { World } from '../testbed/world'

export type LoggedCall = {
  method: string
  // Path with IDs replaced by placeholders, plus the query for Botpress list calls.
  route: string
  // HTTP status (HubSpot only; the Botpress stand-in does not log it).
  status?: number
  // Made after the operation answered: by the webhook deliveries the operation caused.
  caused: boolean
}

export type CallWindow = { hubspot: LoggedCall[]; botpress: LoggedCall[] }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const HEX_ID = /^[0-9a-f]{24,}$/i
const BOTPRESS_ID = /^[a-z]+_[0-9A-Z]{16,}$/
const NUMERIC_ID = /^\d{3,}$/

const placeholderFor = (segment: string, previous: string | undefined): string => {
  if (previous === 'access-tokens' || previous === 'refresh-tokens') return '{token}'
  if (UUID.test(segment) || HEX_ID.test(segment) || BOTPRESS_ID.test(segment) || NUMERIC_ID.test(segment)) return '{id}'
  return segment
}

export const routeOf = (path: string, query = ''): string => {
  const segments = path.split('/')
  const isHostedFile = segments[1] === 'hubfs'
  const normalised = segments.map((segment, index) =>
    isHostedFile && index === segments.length - 1 && index > 1
      ? '{fileName}'
      : placeholderFor(segment, segments[index - 1])
  )
  const search = query.replace(/^\?/, '').replace(/=(\d{3,}|[a-z]+_[0-9A-Z]{16,})(?=&|$)/g, '={id}')
  return `${normalised.join('/')}${search ? `?${search}` : ''}`
}

// Marks where a window starts and where the operation itself answered.
export class CallRecorder {
  private answeredAt: { hubspot: number; botpress: number } | undefined

  public constructor(private readonly world: Pick<World, 'hs' | 'bp'>) {}

  public open(): void {
    this.world.hs.resetCalls()
    this.world.bp.resetCalls()
    this.answeredAt = undefined
  }

  // Calls logged after this point were made while handling webhooks the operation caused.
  public markAnswered(): void {
    this.answeredAt = { hubspot: this.world.hs.calls.length, botpress: this.world.bp.calls.length }
  }

  public close(): CallWindow {
    const answered = this.answeredAt
    return {
      hubspot: this.world.hs.calls.map((call, index) => ({
        method: call.method,
        route: routeOf(call.path),
        status: call.status,
        caused: answered !== undefined && index >= answered.hubspot,
      })),
      botpress: this.world.bp.calls.map((call, index) => ({
        method: call.method,
        route: routeOf(call.path, call.query),
        caused: answered !== undefined && index >= answered.botpress,
      })),
    }
  }
}

export const describeCall = (call: LoggedCall): string =>
  `${call.method} ${call.route}${call.status !== undefined ? ` → ${call.status}` : ''}${call.caused ? '  (webhook it caused)' : ''}`

export const signatureOf = (window: CallWindow): string =>
  [...window.hubspot, ...window.botpress].map((call) => `${call.method} ${call.route} ${call.status ?? ''}`).join('|')

export const isTokenRefresh = (call: { method: string; path: string }): boolean =>
  call.method === 'POST' && /^\/oauth\/(v1|v3|[\d-]+)\/token\/?$/.test(call.path)
