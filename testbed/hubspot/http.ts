// Request and reply types shared by the stand-in's routes, plus body parsing, paging and
// response validation against the shared wire schemas.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { ZodType, ZodTypeDef } from 'zod'
import { fromZodIssues, validationError } from './errors'
import type { AccessTokenRecord } from './portal'

export type Reply = {
  status: number
  body?: unknown
  bytes?: Buffer
  headers?: Record<string, string>
}

export type AuthUsed =
  | { kind: 'none' }
  | { kind: 'developerKey'; appId: string }
  | { kind: 'bearer'; token: AccessTokenRecord }

export type RequestContext = {
  method: string
  url: URL
  params: Record<string, string>
  query: URLSearchParams
  headers: IncomingHttpHeaders
  rawBody: Buffer
  auth: AuthUsed
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>

const MAX_BODY_BYTES = 64 * 1024 * 1024

export const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string)
    size += buffer.length
    if (size > MAX_BODY_BYTES) throw validationError(`Request body larger than ${MAX_BODY_BYTES} bytes`)
    chunks.push(buffer)
  }
  return Buffer.concat(chunks)
}

export const parseJson = (raw: Buffer): unknown => {
  const text = raw.toString('utf8')
  if (text.trim() === '') throw validationError('Invalid input JSON: the request body is empty')
  try {
    return JSON.parse(text)
  } catch (error) {
    throw validationError(`Invalid input JSON: ${(error as Error).message}`)
  }
}

export const parseBody = <Output, Input>(
  ctx: RequestContext,
  schema: ZodType<Output, ZodTypeDef, Input>,
  subject: string
): Output => {
  const result = schema.safeParse(parseJson(ctx.rawBody))
  if (!result.success) throw fromZodIssues(result.error.issues, subject)
  return result.data
}

// Every JSON response is checked against the shared schema, so a stand-in bug shows up as a 500
// here instead of as a confusing failure in the client under test.
export const respond = <Output, Input>(
  schema: ZodType<Output, ZodTypeDef, Input>,
  body: unknown,
  status = 200
): Reply => {
  const result = schema.safeParse(body)
  if (!result.success) throw new Error(`the stand-in built a response that fails its schema: ${result.error.message}`)
  return { status, body }
}

export const noContent = (): Reply => ({ status: 204 })

export const jsonReply = (body: unknown, status = 200): Reply => ({ status, body })

export type Page<T> = { results: T[]; total: number; paging?: { next: { after: string } } }

// Offsets travel as opaque `after` cursors. A limit above the maximum is clamped, as HubSpot does for list calls.
export const paginate = <T>(items: T[], query: URLSearchParams, defaults: { limit: number; max: number }): Page<T> => {
  const limitParam = query.get('limit')
  const afterParam = query.get('after')
  const limit = limitParam === null ? defaults.limit : Number(limitParam)
  if (!Number.isInteger(limit) || limit < 1) {
    throw validationError(`limit must be a positive integer, got "${limitParam}"`)
  }
  const offset = afterParam === null || afterParam === '' ? 0 : Number(afterParam)
  if (!Number.isInteger(offset) || offset < 0) {
    throw validationError(`after must be a cursor returned in paging.next.after, got "${afterParam}"`)
  }
  const pageSize = Math.min(limit, defaults.max)
  const results = items.slice(offset, offset + pageSize)
  const nextOffset = offset + results.length
  const page: Page<T> = { results, total: items.length }
  if (nextOffset < items.length) page.paging = { next: { after: String(nextOffset) } }
  return page
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export const bearerTokenOf = (headers: IncomingHttpHeaders): string | undefined => {
  const value = headers.authorization
  if (!value) return undefined
  const match = /^Bearer\s+(.+)$/i.exec(value.trim())
  return match ? match[1].trim() : undefined
}

export const nowIso = (): string => new Date().toISOString()
