// Every bearer call counts against its portal's rate limit (and CRM search against its own): each
// attempt, retries included, waits its turn in the budget (call-budget.ts), and every answer tells
// the budget what HubSpot said of the room left.
import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios'
import * as env from '../env'
import { errorEnvelopeOf } from './api-error'
import { budgetFor, CallBudget } from './call-budget'

// The budgets a request goes through (its portal's, and search's for a CRM search), and by when it
// must have gone. Set per request; every attempt, retries included, waits its turn.
export type Metered = { budgets: CallBudget[]; deadline: number }
// A string key: axios copies a request's config key by key, and would drop a symbol.
export const METERED = 'hitlMetered'
export type MeteredConfig = InternalAxiosRequestConfig & { [METERED]?: Metered }

const TEN_SECONDS = 10_000
// A process starts cautious on a portal's general budget: HubSpot's rate-limit headers on its first
// answer say how much of the shared window earlier processes left (call-budget.ts).
const portalBudget = (portal: string) =>
  budgetFor(
    `${portal}:general`,
    () => new CallBudget(env.hubspotCallsPer10s, TEN_SECONDS, Date.now, { cautious: true })
  )
const searchBudget = (portal: string) =>
  budgetFor(`${portal}:search`, () => new CallBudget(env.hubspotSearchesPerSecond, 1_000))

// The budgets of a bearer call to a portal, and by when it must have gone.
export const meteringFor = (portal: string, limit: 'search' | undefined, deadline: number): Metered => ({
  budgets: limit === 'search' ? [portalBudget(portal), searchBudget(portal)] : [portalBudget(portal)],
  deadline,
})

const headerNumber = (headers: unknown, name: string): number | undefined => {
  const value = (headers as Record<string, unknown> | undefined)?.[name]
  const parsed = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN
  return Number.isFinite(parsed) ? parsed : undefined
}

// The budget a 429 speaks of is named by its policy: SECONDLY is CRM search's own limit, anything
// else the portal's ten-second window. The Remaining headers count the ten-second window; search
// has no such headers, so any other answer to a search tells its budget there was room.
const observe = (config: MeteredConfig | undefined, status: number | undefined, headers: unknown, body: unknown) => {
  const metered = config?.[METERED]
  if (!metered) return
  const [general, search] = metered.budgets
  if (status === 429) ((errorEnvelopeOf(body).policyName === 'SECONDLY' && search) || general)?.rateLimited()
  else if (status !== undefined) search?.answered()
  general?.observe(
    headerNumber(headers, 'x-hubspot-ratelimit-remaining'),
    headerNumber(headers, 'x-hubspot-ratelimit-max')
  )
}

export const meter = (http: AxiosInstance): void => {
  http.interceptors.request.use(async (config: MeteredConfig) => {
    const metered = config[METERED]
    if (metered) for (const budget of metered.budgets) await budget.take(metered.deadline)
    return config
  })
  http.interceptors.response.use(
    (response) => {
      observe(response.config as MeteredConfig, response.status, response.headers, undefined)
      return response
    },
    (error: unknown) => {
      if (axios.isAxiosError(error)) {
        observe(
          error.config as MeteredConfig | undefined,
          error.response?.status,
          error.response?.headers,
          error.response?.data
        )
      }
      return Promise.reject(error)
    }
  )
}
