// The one HTTP client for HubSpot, as a pipeline: authorise (auth.ts), wait for room in the portal's
// budget (metering.ts), send with bounded retries through axios-retry, refresh the token once on
// 401, and map what failed to a HubSpotApiError (api-error.ts).
import axios, { type AxiosError, type AxiosRequestConfig, type AxiosResponse } from 'axios'
import axiosRetry, { type IAxiosRetryConfig } from 'axios-retry'
import type { z } from 'zod'
import type { Logger } from '../log'
import { apiErrorOf, budgetExhaustionOf, errorEnvelopeOf, HubSpotApiError, notSentError } from './api-error'
import { authorise, type AuthMode, type DeveloperCredentials, type TokenSource } from './auth'
import { meter, meteringFor, METERED, type Metered } from './metering'
import { decideRetry } from './retry-policy'

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
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

meter(http)
// After the metering interceptor, so that it sees every answer, a 429 that axios-retry then retries
// included (response interceptors run in the order they were added; axios-retry's hands the retry's
// answer on in place of the 429).
axiosRetry(http, { retries: 0 })

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
      if (budgetExhaustionOf(error)) return false
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

const bodyOf = (request: HubSpotRequest<z.ZodTypeAny | undefined>): { data?: unknown; contentType?: string } => {
  if (request.form) {
    return { data: new URLSearchParams(request.form).toString(), contentType: 'application/x-www-form-urlencoded' }
  }
  if (request.multipart) return { data: request.multipart }
  if (request.json !== undefined) return { data: request.json, contentType: 'application/json' }
  return {}
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
    const { headers: authHeaders, params: authParams, token } = await authorise(request.auth, this.options)
    const params: Record<string, string | number | boolean> = {}
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) params[key] = value
    Object.assign(params, authParams)
    const { data, contentType } = bodyOf(request)
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...authHeaders,
      ...(contentType && { 'Content-Type': contentType }),
    }

    // The invocation's time is shared: a call that cannot end before the deadline is not made.
    const left = this.options.deadline === undefined ? Infinity : this.options.deadline - Date.now()
    const path = request.label ?? request.path
    if (left < 100) throw notSentError(request.method, path, "the invocation's time is up")
    const budgetMs = Math.min(this.options.budgetMs, left)
    const timeoutMs = Math.min(this.options.timeoutMs, left)

    // Bearer calls count against the portal's limit; OAuth and developer-key calls do not.
    const portal = token
      ? `${this.options.baseUrl}|${this.options.tokens?.portalId?.() ?? 'unknown portal'}`
      : undefined
    const metered: Metered | undefined = portal ? meteringFor(portal, request.limit, Date.now() + budgetMs) : undefined
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
      const status = budgetExhaustionOf(thrown) ? undefined : (thrown as AxiosError).response?.status
      if (status === 401 && token && this.options.tokens && !isRetryAfterRefresh) {
        // One refresh and one retry: an access token may expire between our check and HubSpot's.
        this.options.tokens.invalidate(token)
        this.options.logger.info(
          `HubSpot ${request.method} ${request.label ?? request.path} answered 401; refreshing the access token once`
        )
        return this.sendWithAuth(request, true)
      }
      throw apiErrorOf(thrown, request.method, path, this.options.logger)
    }
  }
}
