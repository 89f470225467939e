import { newErrorId } from './ids'

export type BotpressErrorType =
  | 'InvalidPayload'
  | 'Unauthorized'
  | 'Forbidden'
  | 'ResourceNotFound'
  | 'AlreadyExists'
  | 'PayloadTooLarge'
  | 'RateLimited'
  | 'Runtime'
  | 'Internal'
  | 'OperationTimeout'

/** The JSON body the Botpress API answers with on failure; `@botpress/client` turns it into a typed error. */
export type BotpressErrorBody = {
  id: string
  code: number
  type: BotpressErrorType
  message: string
}

const TYPE_BY_STATUS: Record<number, BotpressErrorType> = {
  400: 'InvalidPayload',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'ResourceNotFound',
  409: 'AlreadyExists',
  413: 'PayloadTooLarge',
  429: 'RateLimited',
  504: 'OperationTimeout',
}

export function errorTypeForStatus(status: number): BotpressErrorType {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'Internal' : 'InvalidPayload')
}

/** Thrown by routes and the store; the server answers it with `status` and a Botpress-shaped body. */
export class BotpressApiError extends Error {
  public constructor(
    public readonly status: number,
    public readonly type: BotpressErrorType,
    message: string,
    public readonly headers: Record<string, string> = {}
  ) {
    super(message)
    this.name = 'BotpressApiError'
  }

  public toBody(): BotpressErrorBody {
    return { id: newErrorId(), code: this.status, type: this.type, message: this.message }
  }
}

export const notFound = (what: string, id: string): BotpressApiError =>
  new BotpressApiError(404, 'ResourceNotFound', `${what} ${id} doesn't exist`)

export const invalidPayload = (message: string): BotpressApiError =>
  new BotpressApiError(400, 'InvalidPayload', message)
