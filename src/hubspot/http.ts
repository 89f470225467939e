// The one HTTP client for HubSpot: base URL, bearer or developer-key auth, bounded retries through
// axios-retry, a single token refresh on 401, and errors that keep HubSpot's category and message.
import axios, {
  type AxiosError,
  type AxiosRequestConfig,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios'
import axiosRetry, { type IAxiosRetryConfig } from 'axios-retry'
import type { z } from 'zod'
import * as env from '../env'
import type { Logger } from '../log'
import { budgetFor, BudgetExhaustedError, CallBudget } from './call-budget'
import { decideRetry } from './retry-policy'
import { errorEnvelopeSchema, type ErrorEnvelope } from './schemas'

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
export type AuthMode = 'bearer' | 'developer' | 'none'

export type HubSpotRequest<S extends z.ZodTypeAny | undefined> = {
  method: HttpMethod
  path: string
  query?: Record<string, string | number | boolean | undefined>
  json?: unknown
  form?: Record<string, string>
  multipart?: FormData
  auth: AuthMode
  // Whether repeating the request after a 5xx or network error is harmless. Defaults to true for
  // everything but POST; a POST is safe when it carries an idempotency key.
  retrySafe?: boolean
  schema: S
  // What logs and errors call the path, when the path itself holds a secret.
  label?: string
  // CRM search has a limit of its own (5 per second per portal) on top of the general one.
  limit?: 'search'
}

export type TokenSource = {
  get: () => Promise<string>
  invalidate: (token: string) => void
  portalId?: () => string | undefined
}

export type DeveloperCredentials = { apiKey: string; appId: string }

export class HubSpotApiError extends Error {
  public readonly name = 'HubSpotApiError'
  public constructor(
    public readonly status: number | undefined,
    public readonly method: string,
    public readonly path: string,
    public readonly envelope: ErrorEnvelope,
    summary: string
  ) {
    super(summary)
  }
  public get category(): string | undefined {
    return this.envelope.category ?? this.envelope.errorType
  }
  public get hubspotMessage(): string | undefined {
    return this.envelope.message
  }
  // A failure worth retrying later (a new webhook delivery, a new action call).
  public get transient(): boolean {
    return this.status === undefined || this.status === 429 || this.status >= 500
  }
}

type Options = {
  baseUrl: string
  tokens?: TokenSource
  developer?: DeveloperCredentials
  budgetMs: number
  baseDelayMs: number
  timeoutMs: number
  logger: Logger
  // The invocation's deadline (epoch ms): retries and each request's timeout end by then.
  deadline?: number
}

const http = axios.create()

// The budgets a request goes through (its portal's, and search's for a CRM search), and by when it
// must have gone. Set per request; every attempt, retries included, waits its turn.
type Metered = { budgets: CallBudget[]; deadline: number }
// A string key: axios copies a request's config key by key, and would drop a symbol.
const METERED = 'hitlMetered'
type MeteredConfig = InternalAxiosRequestConfig & { [METERED]?: Metered }

http.interceptors.request.use(async (config: MeteredConfig) => {
  const metered = config[METERED]
  if (metered) for (const budget of metered.budgets) await budget.take(metered.deadline)
  return config
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
// After the interceptor above, so that it sees every answer, a 429 that axios-retry then retries
// included (response interceptors run in the order they were added; axios-retry's hands the retry's
// answer on in place of the 429).
axiosRetry(http, { retries: 0 })

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

const errorEnvelopeOf = (data: unknown): ErrorEnvelope => {
  const parsed = errorEnvelopeSchema.safeParse(data)
  return parsed.success ? parsed.data : {}
}

// axios rejects every non-2xx answer; axios-retry asks this request's policy whether and when to
// try again, from the status, Retry-After and the 429 body's policyName, within the time budget.
const retryPolicyFor = (p: {
  retrySafe: boolean
  budgetMs: number
  baseDelayMs: number
  logger: Logger
  label: string
}): IAxiosRetryConfig => {
  const startedAt = Date.now()
  let nextDelayMs = 0
  return {
    retries: 10,
    shouldResetTimeout: true,
    retryCondition: (error: AxiosError) => {
      // No room in the portal's budget before the deadline: waiting longer is not a retry's job.
      if (
        error instanceof BudgetExhaustedError ||
        (error as { cause?: unknown }).cause instanceof BudgetExhaustedError
      ) {
        return false
      }
      const decision = decideRetry({
        status: error.response?.status,
        retryAfterHeader: error.response?.headers?.['retry-after'] as string | undefined,
        policyName: errorEnvelopeOf(error.response?.data).policyName,
        retrySafe: p.retrySafe,
        attempt: (error.config?.['axios-retry']?.retryCount ?? 0) + 1,
        elapsedMs: Date.now() - startedAt,
        budgetMs: p.budgetMs,
        baseDelayMs: p.baseDelayMs,
      })
      if (!decision.retry) return false
      nextDelayMs = decision.delayMs
      p.logger.info(
        `HubSpot ${p.label} answered ${error.response?.status ?? 'nothing'}; retrying in ${decision.delayMs} ms`
      )
      return true
    },
    retryDelay: () => nextDelayMs,
  }
}

// HubSpot's own message is left out: it can quote property values such as an email address.
const describe = (method: string, path: string, status: number | undefined, envelope: ErrorEnvelope): string => {
  const what = status === undefined ? 'no response' : `${status}${envelope.category ? ` ${envelope.category}` : ''}`
  const correlation = envelope.correlationId ? `, correlation ID ${envelope.correlationId}` : ''
  return `HubSpot ${method} ${path} failed (${what}${correlation})`
}

export class HubSpotHttp {
  public constructor(private readonly options: Options) {}

  public async send<S extends z.ZodTypeAny | undefined>(
    request: HubSpotRequest<S>
  ): Promise<S extends z.ZodTypeAny ? z.output<S> : void> {
    const response = await this.sendWithAuth(request, false)
    if (!request.schema) return undefined as S extends z.ZodTypeAny ? z.output<S> : void
    const parsed = request.schema.safeParse(response.data)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new HubSpotApiError(
        response.status,
        request.method,
        request.label ?? request.path,
        {},
        `HubSpot ${request.method} ${request.label ?? request.path} answered an unexpected body (${issue?.path.join('.') || 'root'}: ${issue?.message})`
      )
    }
    return parsed.data
  }

  private async sendWithAuth(
    request: HubSpotRequest<z.ZodTypeAny | undefined>,
    isRetryAfterRefresh: boolean
  ): Promise<AxiosResponse> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    const params: Record<string, string | number | boolean> = {}
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) params[key] = value

    let token: string | undefined
    if (request.auth === 'bearer') {
      if (!this.options.tokens) throw new Error('HubSpot bearer call without a token source')
      token = await this.options.tokens.get()
      headers.Authorization = `Bearer ${token}`
    } else if (request.auth === 'developer') {
      if (!this.options.developer) throw new Error('HubSpot developer call without developer credentials')
      params.hapikey = this.options.developer.apiKey
      params.appId = this.options.developer.appId
    }

    let data: unknown
    if (request.form) {
      data = new URLSearchParams(request.form).toString()
      headers['Content-Type'] = 'application/x-www-form-urlencoded'
    } else if (request.multipart) {
      data = request.multipart
    } else if (request.json !== undefined) {
      data = request.json
      headers['Content-Type'] = 'application/json'
    }

    // The invocation's time is shared: a call that cannot end before the deadline is not made.
    const left = this.options.deadline === undefined ? Infinity : this.options.deadline - Date.now()
    const path = request.label ?? request.path
    if (left < 100) {
      throw new HubSpotApiError(
        undefined,
        request.method,
        path,
        {},
        `HubSpot ${request.method} ${path} not sent: the invocation's time is up`
      )
    }
    const budgetMs = Math.min(this.options.budgetMs, left)
    const timeoutMs = Math.min(this.options.timeoutMs, left)

    // Bearer calls count against the portal's limit; OAuth and developer-key calls do not.
    const portal = token
      ? `${this.options.baseUrl}|${this.options.tokens?.portalId?.() ?? 'unknown portal'}`
      : undefined
    const metered: Metered | undefined = portal
      ? {
          budgets: request.limit === 'search' ? [portalBudget(portal), searchBudget(portal)] : [portalBudget(portal)],
          deadline: Date.now() + budgetMs,
        }
      : undefined
    const config: AxiosRequestConfig & { [METERED]?: Metered } = {
      ...(metered && { [METERED]: metered }),
      method: request.method,
      baseURL: this.options.baseUrl,
      url: request.path,
      params,
      headers,
      data,
      timeout: timeoutMs,
      maxBodyLength: Infinity,
      'axios-retry': retryPolicyFor({
        retrySafe: request.retrySafe ?? request.method !== 'POST',
        budgetMs,
        baseDelayMs: this.options.baseDelayMs,
        logger: this.options.logger,
        label: `${request.method} ${request.label ?? request.path}`,
      }),
    }

    try {
      return await http.request(config)
    } catch (thrown) {
      const exhausted = thrown instanceof BudgetExhaustedError ? thrown : (thrown as { cause?: unknown }).cause
      if (exhausted instanceof BudgetExhaustedError) {
        const summary = `HubSpot ${request.method} ${path} not sent: ${exhausted.message}`
        this.options.logger.warn(summary)
        throw new HubSpotApiError(
          429,
          request.method,
          path,
          { category: 'RATE_LIMITS', policyName: 'PORTAL_BUDGET' },
          summary
        )
      }
      const error = thrown as AxiosError
      const status = error.response?.status
      const envelope = errorEnvelopeOf(error.response?.data)
      if (status === 401 && token && this.options.tokens && !isRetryAfterRefresh) {
        // One refresh and one retry: an access token may expire between our check and HubSpot's.
        this.options.tokens.invalidate(token)
        this.options.logger.info(
          `HubSpot ${request.method} ${request.label ?? request.path} answered 401; refreshing the access token once`
        )
        return this.sendWithAuth(request, true)
      }
      const summary = describe(request.method, path, status, envelope)
      // Callers expect some 4xx answers (a 404 while looking something up); failures that retries
      // could not overcome are worth a warning.
      if (status === undefined || status === 429 || status >= 500) this.options.logger.warn(summary)
      else this.options.logger.debug(summary)
      throw new HubSpotApiError(status, request.method, path, envelope, summary)
    }
  }
}
