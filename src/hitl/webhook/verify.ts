// The one step between a POST and its handling: the body's size, HubSpot's signature, then the body
// parsed into what it is (in the manner of Octokit's verifyAndReceive). Anything else is refused
// with the answer it carries (WebhookRefusal).
import {
  appWebhookBatchSchema,
  appWebhookEventSchema,
  channelWebhookSchema,
  type AppWebhookEvent,
  type ChannelWebhook,
  type OutgoingMessageEvent,
} from '../../hubspot/schemas'
import { verifyHubSpotRequest, verifyPublisherAppBatch } from '../../hubspot/signature'
import type { IntegrationProps } from '../../types'
import { FORWARDED_HEADER, SIBLINGS_CHANGED_PATH } from '../forwarding'
import { WebhookRefusal } from './answers'

const MAX_BODY_BYTES = 1024 * 1024

export type WebhookRequest = Parameters<IntegrationProps['handler']>[0]['req']

// One item of an app webhook batch. The batch carries the events of every subscription of the app
// (contacts, association changes without objectId, …): only conversation events are ours.
export type BatchItem = { raw: unknown; threadKey: string } & (
  | { kind: 'thread event'; event: AppWebhookEvent }
  | { kind: 'not ours'; subscriptionType: string | undefined }
  | { kind: 'malformed'; subscriptionType: string; issue: string }
)

export type ChannelEvent =
  | { kind: 'agent message'; event: OutgoingMessageEvent }
  | { kind: 'other channel event'; type: string }

export type VerifiedRequest =
  | { kind: 'sibling news'; body: string }
  | { kind: 'channel event'; event: ChannelEvent }
  | { kind: 'app batch'; items: BatchItem[]; forwarded: boolean }

export const headerOf = (headers: Record<string, string | undefined>, name: string): string | undefined =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]

export const normalisePath = (path: string | undefined): string => {
  const trimmed = (path ?? '/').replace(/\/+$/, '')
  return trimmed === '' ? '/' : trimmed
}

const MESSAGE_EVENT = 'OUTGOING_CHANNEL_MESSAGE_CREATED'

const isMessageEvent = (event: ChannelWebhook): event is OutgoingMessageEvent => event.type === MESSAGE_EVENT

export const parseChannelEvent = (raw: unknown): ChannelEvent => {
  const parsed = channelWebhookSchema.safeParse(raw)
  if (!parsed.success) {
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined
    if (type === MESSAGE_EVENT) throw new WebhookRefusal(400, `malformed ${MESSAGE_EVENT} event`)
    throw new WebhookRefusal(400, 'expected an event object or an array of events')
  }
  return isMessageEvent(parsed.data)
    ? { kind: 'agent message', event: parsed.data }
    : { kind: 'other channel event', type: parsed.data.type }
}

const parseBatchItem = (raw: unknown): BatchItem => {
  const fields =
    typeof raw === 'object' && raw !== null ? (raw as { subscriptionType?: unknown; objectId?: unknown }) : {}
  // Events of one thread are handled in order: the key groups them.
  const threadKey = typeof raw === 'object' && raw !== null ? String(fields.objectId) : ''
  const subscriptionType = typeof fields.subscriptionType === 'string' ? fields.subscriptionType : undefined
  if (subscriptionType === undefined || !subscriptionType.startsWith('conversation.')) {
    return { raw, threadKey, kind: 'not ours', subscriptionType }
  }
  const parsed = appWebhookEventSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return {
      raw,
      threadKey,
      kind: 'malformed',
      subscriptionType,
      issue: `${issue?.path.join('.') || 'root'}: ${issue?.message}`,
    }
  }
  return { raw, threadKey, kind: 'thread event', event: parsed.data }
}

export const parseAppBatch = (raw: unknown[]): BatchItem[] => {
  const parsed = appWebhookBatchSchema.safeParse(raw)
  if (!parsed.success) throw new WebhookRefusal(413, 'too many events')
  return parsed.data.map(parseBatchItem)
}

export const parseBody = (body: string, forwarded: boolean): VerifiedRequest => {
  let raw: unknown
  try {
    raw = JSON.parse(body)
  } catch {
    throw new WebhookRefusal(400, 'body is not JSON')
  }
  if (Array.isArray(raw)) return { kind: 'app batch', items: parseAppBatch(raw), forwarded }
  return { kind: 'channel event', event: parseChannelEvent(raw) }
}

export type VerifyContext = {
  clientSecret: string
  // The URL HubSpot was given for this installation.
  webhookUrl: string
  // One-click: the publisher app's batches come through Botpress's global route, whose URL (it names
  // the publisher's workspace handle) the integration cannot know.
  oneClick: boolean
  warn: (message: string) => void
}

// HubSpot signs the URL it calls. The publisher app's batches (one-click) come through Botpress's
// global route, whose URL the integration cannot rebuild: they are checked as verifyPublisherAppBatch says.
const verifySignature = (context: VerifyContext, req: WebhookRequest, path: string, isBatch: boolean): void => {
  const query = req.query ? `?${req.query}` : ''
  const signed = {
    secret: context.clientSecret,
    method: req.method,
    body: req.body ?? '',
    headers: req.headers,
  }
  const uri = `${context.webhookUrl}${path === '/' ? '' : path}${query}`
  const verdict =
    isBatch && context.oneClick && path === '/'
      ? verifyPublisherAppBatch({ ...signed, installationUri: uri })
      : verifyHubSpotRequest({ ...signed, uri, allowV1: isBatch })
  if (verdict.ok) return
  context.warn(`Refused a webhook: ${verdict.reason}`)
  throw new WebhookRefusal(401, 'invalid signature')
}

export const verifyAndParse = (context: VerifyContext, req: WebhookRequest): VerifiedRequest => {
  const body = req.body ?? ''
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) throw new WebhookRefusal(413, 'body too large')
  const path = normalisePath(req.path)
  verifySignature(context, req, path, body.trimStart().startsWith('['))
  // Signed with the app's client secret: another installation of this app registered or left.
  if (path === SIBLINGS_CHANGED_PATH) return { kind: 'sibling news', body }
  return parseBody(body, headerOf(req.headers, FORWARDED_HEADER) !== undefined)
}
