// HubSpot's error bodies. Route handlers throw these; the server turns them into responses.
import { randomUUID } from 'node:crypto'
import type { ZodIssue } from 'zod'

export type ErrorDetail = { message: string; code?: string; in?: string; context?: Record<string, string[]> }

export class HubSpotError extends Error {
  public readonly status: number
  public readonly body: Record<string, unknown>
  public readonly headers: Record<string, string>

  public constructor(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(typeof body.message === 'string' ? body.message : `HubSpot error ${status}`)
    this.status = status
    this.body = body
    this.headers = headers
  }
}

export const apiError = (
  status: number,
  category: string,
  message: string,
  extra: Record<string, unknown> = {}
): HubSpotError =>
  new HubSpotError(status, { status: 'error', message, correlationId: randomUUID(), category, ...extra })

export const validationError = (message: string, errors?: ErrorDetail[]): HubSpotError =>
  apiError(400, 'VALIDATION_ERROR', message, errors ? { errors } : {})

export const notFound = (message: string): HubSpotError => apiError(404, 'OBJECT_NOT_FOUND', message)

export const conflict = (message: string): HubSpotError => apiError(409, 'CONFLICT', message)

export const forbidden = (message: string): HubSpotError => apiError(403, 'FORBIDDEN', message)

export const credentialsNotFound = (): HubSpotError =>
  apiError(
    401,
    'INVALID_AUTHENTICATION',
    'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'
  )

export const invalidToken = (): HubSpotError =>
  apiError(
    401,
    'INVALID_AUTHENTICATION',
    'The OAuth token used to make this call is invalid. Get a new access token with the refresh token.'
  )

export const invalidApiKey = (): HubSpotError =>
  apiError(
    401,
    'INVALID_AUTHENTICATION',
    'The API key provided is invalid. View or manage your API key here: https://app.hubspot.com/l/api-key/'
  )

export const expiredToken = (secondsAgo: number): HubSpotError =>
  apiError(401, 'EXPIRED_AUTHENTICATION', `The OAuth token used to make this call expired ${secondsAgo} second(s) ago.`)

export const missingScopes = (requiredScopes: string[]): HubSpotError =>
  apiError(
    403,
    'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    {
      errors: [
        {
          message: 'One or more of the following scopes are required.',
          context: { requiredGranularScopes: requiredScopes },
        },
      ],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
    }
  )

export const rateLimitPolicies = ['TEN_SECONDLY_ROLLING', 'SECONDLY', 'DAILY'] as const
export type RateLimitPolicy = (typeof rateLimitPolicies)[number]

const rateLimitMessages: Record<RateLimitPolicy, string> = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  SECONDLY: 'You have reached your secondly limit.',
  DAILY: 'You have reached your daily limit.',
}

export const rateLimited = (policyName: RateLimitPolicy, retryAfterSeconds?: number): HubSpotError =>
  new HubSpotError(
    429,
    {
      status: 'error',
      message: rateLimitMessages[policyName],
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName,
      requestId: randomUUID(),
      category: 'RATE_LIMITS',
    },
    retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }
  )

const serverErrorMessages: Record<number, [category: string, message: string]> = {
  500: ['INTERNAL_ERROR', 'internal error'],
  502: ['BAD_GATEWAY', 'Bad Gateway'],
  503: ['SERVICE_UNAVAILABLE', 'Service Unavailable'],
  504: ['GATEWAY_TIMEOUT', 'Gateway Timeout'],
}

const clientErrorCategories: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'INVALID_AUTHENTICATION',
  403: 'MISSING_SCOPES',
  404: 'OBJECT_NOT_FOUND',
  409: 'CONFLICT',
  423: 'LOCKED',
  477: 'MIGRATION_IN_PROGRESS',
}

// The body HubSpot would send for an arbitrary status, used by fault injection.
export const errorForStatus = (status: number, headers: Record<string, string> = {}): HubSpotError => {
  const [category, message] = serverErrorMessages[status] ?? [
    clientErrorCategories[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'ERROR'),
    `Injected fault: HTTP ${status}`,
  ]
  const error = apiError(status, category, message)
  return new HubSpotError(status, error.body, headers)
}

const issueCode = (issue: ZodIssue): string => {
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return 'REQUIRED'
  if (
    issue.code === 'invalid_enum_value' ||
    issue.code === 'invalid_literal' ||
    issue.code === 'invalid_union_discriminator'
  ) {
    return 'INVALID_ENUM'
  }
  if (issue.code === 'unrecognized_keys') return 'UNKNOWN_FIELD'
  return 'INVALID_' + issue.code.toUpperCase()
}

export const fromZodIssues = (issues: ZodIssue[], subject: string): HubSpotError => {
  const errors = issues.map((issue) => {
    const where = issue.path.join('.')
    return {
      message: where ? `${where}: ${issue.message}` : issue.message,
      code: issueCode(issue),
      in: where || subject,
    }
  })
  return validationError(`Invalid ${subject}: ${errors.map((e) => e.message).join('; ')}`, errors)
}

// Token endpoint errors merge the legacy body (status, message) with the OAuth 2.0 one (error, error_description).
export type OAuthErrorStatus =
  | 'BAD_REFRESH_TOKEN'
  | 'BAD_AUTH_CODE'
  | 'BAD_CLIENT_ID'
  | 'BAD_REDIRECT_URI'
  | 'BAD_GRANT_TYPE'

const oauthErrorCodes: Record<OAuthErrorStatus, string> = {
  BAD_REFRESH_TOKEN: 'invalid_grant',
  BAD_AUTH_CODE: 'invalid_grant',
  BAD_REDIRECT_URI: 'invalid_grant',
  BAD_CLIENT_ID: 'invalid_client',
  BAD_GRANT_TYPE: 'unsupported_grant_type',
}

export const oauthError = (status: OAuthErrorStatus, message: string): HubSpotError =>
  new HubSpotError(400, {
    status,
    message,
    error: oauthErrorCodes[status],
    error_description: message,
    correlationId: randomUUID(),
    requestId: randomUUID(),
  })
