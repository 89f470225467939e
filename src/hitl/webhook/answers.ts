// How the webhook answers HubSpot. Each event of a batch stands alone: one that cannot be finished
// now is recorded on its session and finished without HubSpot (session-work.ts), so HubSpot, which
// delivers a refused webhook again only after minutes, is asked to (503) only when the work could
// not even be recorded: HubSpot or Botpress unreachable, or the invocation out of time.
import { isApiError, RuntimeError, type Response } from '@botpress/sdk'
import { DownloadError } from '../../download'
import * as env from '../../env'
import { HubSpotApiError } from '../../hubspot/http'
import { HubSpotAuthError } from '../../hubspot/oauth'
import type { Deps } from '../context'
import type { Outcome } from '../events/outcome'
import { ForwardingFailedError } from '../forwarding'
import { json } from '../pages'

// A request refused before any event is handled (too large, unsigned, not JSON): it carries its
// own answer, and HubSpot sending it again cannot change it.
export class WebhookRefusal extends Error {
  public readonly name = 'WebhookRefusal'
  public readonly retry = false
  public constructor(
    public readonly status: 400 | 401 | 405 | 413,
    public readonly error: string
  ) {
    super(error)
  }
}

export const refusalAnswer = (refusal: WebhookRefusal): Response => json(refusal.status, { error: refusal.error })

// Why an event could not be handled, and whether HubSpot should deliver it again.
export type Failure = 'unreachable' | 'out of time' | 'refused' | 'defect'

const retryAfter: Record<Failure, boolean> = {
  unreachable: true,
  'out of time': true,
  refused: false,
  // An error no rule above knows: a defect, logged as one. It may depend on timing, and HubSpot's
  // redelivery is the event's only second chance.
  defect: true,
}

export type Handled = Outcome | `failed: ${Failure}`

export type EventResult = { outcome: Handled; failure?: Failure }

// A request to Botpress (or to a sibling installation) that got no answer at all.
const gotNoAnswer = (error: Error): boolean =>
  /ECONNRESET|ECONNREFUSED|ETIMEDOUT|socket hang up|timeout|network/i.test(error.message)

export const failureOf = (error: unknown): Failure => {
  if (error instanceof HubSpotApiError) return error.transient ? 'unreachable' : 'refused'
  if (error instanceof DownloadError) return error.permanent ? 'refused' : 'unreachable'
  if (error instanceof HubSpotAuthError || error instanceof RuntimeError) return 'refused'
  if (isApiError(error)) return error.code >= 500 || error.code === 429 ? 'unreachable' : 'refused'
  // A sibling installation that did not answer: the batch is worth delivering again.
  if (error instanceof ForwardingFailedError) return 'unreachable'
  if (error instanceof Error && gotNoAnswer(error)) return 'unreachable'
  return 'defect'
}

// The error's kind and where it arose, without its message (which may carry customer data).
const defectTrace = (error: unknown): string =>
  error instanceof Error
    ? `${error.name}${error.stack ? `\n${error.stack.split('\n').slice(1).join('\n')}` : ''}`
    : typeof error

const logFailure = (deps: Deps, what: string, error: unknown, failure: Failure): void => {
  if (failure === 'unreachable' || failure === 'out of time') {
    deps.logger.warn(
      `A ${what} event could not be handled now (${error instanceof Error ? error.name : 'error'}); HubSpot will deliver it again`
    )
  } else if (failure === 'refused') {
    deps.logger.error(`A ${what} event was not processed: ${error instanceof Error ? error.message : String(error)}`)
  } else {
    deps.logger.error(
      `A ${what} event failed on an unexpected error (a defect; please report it): ${defectTrace(error)}`
    )
  }
}

// Runs one event's handler; a failure is recorded against that event only.
export const settleEvent = async (deps: Deps, what: string, work: () => Promise<Outcome>): Promise<EventResult> => {
  try {
    return { outcome: await work() }
  } catch (error) {
    const cause = failureOf(error)
    const failure: Failure =
      cause === 'unreachable' && Date.now() >= deps.deadline - env.deadlineMarginMs() ? 'out of time' : cause
    logFailure(deps, what, error, failure)
    return { outcome: `failed: ${failure}`, failure }
  }
}

export const answerFor = (results: EventResult[]): Response => {
  const handled = results.map((result) => result.outcome)
  if (results.some((result) => result.failure !== undefined && retryAfter[result.failure])) {
    return json(503, { handled, error: 'temporary failure, retry later' })
  }
  return json(200, { handled })
}
