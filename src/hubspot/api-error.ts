// HubSpot's failures as one error type that keeps HubSpot's category, policy and correlation ID,
// and says whether trying again later may help.
import type { AxiosError } from 'axios'
import type { Logger } from '../log'
import { BudgetExhaustedError } from './call-budget'
import { errorEnvelopeSchema, type ErrorEnvelope } from './schemas'

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

export const errorEnvelopeOf = (data: unknown): ErrorEnvelope => {
  const parsed = errorEnvelopeSchema.safeParse(data)
  return parsed.success ? parsed.data : {}
}

// HubSpot's own message is left out: it can quote property values such as an email address.
const describe = (method: string, path: string, status: number | undefined, envelope: ErrorEnvelope): string => {
  const what = status === undefined ? 'no response' : `${status}${envelope.category ? ` ${envelope.category}` : ''}`
  const correlation = envelope.correlationId ? `, correlation ID ${envelope.correlationId}` : ''
  return `HubSpot ${method} ${path} failed (${what}${correlation})`
}

// The portal's budget had no room for the call before the deadline: no request left.
export const budgetExhaustionOf = (thrown: unknown): BudgetExhaustedError | undefined => {
  const exhausted = thrown instanceof BudgetExhaustedError ? thrown : (thrown as { cause?: unknown }).cause
  return exhausted instanceof BudgetExhaustedError ? exhausted : undefined
}

export const notSentError = (method: string, path: string, why: string): HubSpotApiError =>
  new HubSpotApiError(undefined, method, path, {}, `HubSpot ${method} ${path} not sent: ${why}`)

// A call that failed after its retries, as the error callers handle. Callers expect some 4xx
// answers (a 404 while looking something up); failures retries could not overcome are worth a
// warning.
export const apiErrorOf = (thrown: unknown, method: string, path: string, logger: Logger): HubSpotApiError => {
  const exhausted = budgetExhaustionOf(thrown)
  if (exhausted) {
    const summary = `HubSpot ${method} ${path} not sent: ${exhausted.message}`
    logger.warn(summary)
    return new HubSpotApiError(429, method, path, { category: 'RATE_LIMITS', policyName: 'PORTAL_BUDGET' }, summary)
  }
  const error = thrown as AxiosError
  const status = error.response?.status
  const envelope = errorEnvelopeOf(error.response?.data)
  const summary = describe(method, path, status, envelope)
  if (status === undefined || status === 429 || status >= 500) logger.warn(summary)
  else logger.debug(summary)
  return new HubSpotApiError(status, method, path, envelope, summary)
}
