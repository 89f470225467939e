// Everything that reaches the integration's webhook URL: the connect pages (GET) and HubSpot's
// webhooks (POST). Responses mean something: 401 bad signature, 400 malformed body, 200 handled or
// not ours, 503 when a transient failure should make HubSpot deliver again.
import { isApiError, RuntimeError, type Response } from '@botpress/sdk'
import { DownloadError } from '../download'
import * as env from '../env'
import { HubSpotApiError } from '../hubspot/http'
import { HubSpotAuthError } from '../hubspot/oauth'
import { appWebhookEventSchema, outgoingMessageEventSchema, type AppWebhookEvent } from '../hubspot/schemas'
import { verifyHubSpotRequest } from '../hubspot/signature'
import type { IntegrationProps } from '../types'
import { finishConnection, homePage, startConnection, WHERE_THE_LINK_IS } from './connect'
import { createDeps, readSetup, type Deps } from './context'
import { handleAgentMessage } from './events/agent-message'
import { SessionStartingError } from './events/readiness'
import { SessionBusyError } from './events/session-lock'
import { oneAtATime } from './events/sessions'
import { handleAssignment, handleStatusChange, handleThreadGone, NOT_A_HITL_THREAD } from './events/thread-events'
import { FORWARDED_HEADER, forgetSiblings, forwardToSibling, SIBLINGS_CHANGED_PATH } from './forwarding'
import { json, page } from './pages'
import { projectAsJson, projectPage } from './project-page'

const MAX_BODY_BYTES = 1024 * 1024

type HandlerProps = Parameters<IntegrationProps['handler']>[0]

// A session still starting, or handled by another process: HubSpot is asked to deliver again.
const isNotYet = (error: unknown): error is Error => error instanceof SessionStartingError || error instanceof SessionBusyError

const isTransient = (error: unknown): boolean => {
  if (isNotYet(error)) return true
  if (error instanceof HubSpotApiError) return error.transient
  if (error instanceof DownloadError) return !error.permanent
  if (error instanceof HubSpotAuthError || error instanceof RuntimeError) return false
  if (isApiError(error)) return error.code >= 500 || error.code === 429
  return true
}

const headerOf = (headers: Record<string, string | undefined>, name: string): string | undefined =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]

const normalisePath = (path: string | undefined): string => {
  const trimmed = (path ?? '/').replace(/\/+$/, '')
  return trimmed === '' ? '/' : trimmed
}

// App webhook batches carry the events of every subscription of the app (contacts, association
// changes without objectId, …): each of ours is handled, everything else is passed over. An event
// about a thread of another installation of the same app is handed on to it (forwarding.ts), unless
// it was handed on already.
const handleAppEvents = async (deps: Deps, items: unknown[], forwarded: boolean): Promise<string[]> => {
  const setup = await readSetup(deps)
  const handOn = async (item: unknown, event: AppWebhookEvent, otherwise: string): Promise<string> => {
    if (forwarded || !setup?.channelId) return otherwise
    const outcome = await forwardToSibling(deps, item, { threadId: event.objectId, portalId: String(event.portalId) }, setup)
    return outcome ?? otherwise
  }
  const outcomes: string[] = []
  for (const item of items) {
    const subscriptionType = typeof item === 'object' && item !== null ? (item as { subscriptionType?: unknown }).subscriptionType : undefined
    if (typeof subscriptionType !== 'string' || !subscriptionType.startsWith('conversation.')) {
      outcomes.push(`ignored: ${typeof subscriptionType === 'string' ? subscriptionType : 'not an event'}`)
      continue
    }
    const parsed = appWebhookEventSchema.safeParse(item)
    if (!parsed.success) {
      deps.logger.warn(`Ignored a malformed ${subscriptionType} event (${parsed.error.issues[0]?.path.join('.') || 'root'}: ${parsed.error.issues[0]?.message})`)
      outcomes.push(`ignored: malformed ${subscriptionType}`)
      continue
    }
    const event = parsed.data
    const work = threadEventHandler(event)
    if (!work) {
      outcomes.push(`ignored: ${subscriptionType}${event.propertyName ? ` ${event.propertyName}` : ''}`)
      continue
    }
    if (setup?.portalId && String(event.portalId) !== setup.portalId) {
      outcomes.push(await handOn(item, event, 'ignored: another portal'))
      continue
    }
    const outcome = await oneAtATime(`thread:${event.objectId}`, () => work(deps, event))
    outcomes.push(outcome === NOT_A_HITL_THREAD ? await handOn(item, event, outcome) : outcome)
  }
  return outcomes
}

const threadEventHandler = (event: AppWebhookEvent): ((deps: Deps, event: AppWebhookEvent) => Promise<string>) | undefined => {
  if (event.subscriptionType === 'conversation.deletion') return handleThreadGone
  if (event.subscriptionType !== 'conversation.propertyChange') return undefined
  if (event.propertyName === 'assignedTo') return handleAssignment
  if (event.propertyName === 'status') return handleStatusChange
  return undefined
}

const handleChannelEvent = async (deps: Deps, raw: Record<string, unknown>): Promise<Response> => {
  if (raw.type !== 'OUTGOING_CHANNEL_MESSAGE_CREATED') return json(200, { handled: [`ignored: ${String(raw.type)}`] })
  const parsed = outgoingMessageEventSchema.safeParse(raw)
  if (!parsed.success) return json(400, { error: 'malformed OUTGOING_CHANNEL_MESSAGE_CREATED event' })
  const setup = await readSetup(deps)
  const event = parsed.data
  if (setup?.portalId && event.portalId && event.portalId !== setup.portalId) return json(200, { handled: ['ignored: another portal'] })
  const outcome = await oneAtATime(`thread:${event.message.conversationsThreadId}`, () => handleAgentMessage(deps, event, setup?.channelId))
  return json(200, { handled: [outcome] })
}

const receiveHubSpotWebhook = async (props: HandlerProps, deps: Deps): Promise<Response> => {
  const { req } = props
  const body = req.body ?? ''
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) return json(413, { error: 'body too large' })

  const path = normalisePath(req.path)
  const uri = `${deps.webhookUrl}${path === '/' ? '' : path}${req.query ? `?${req.query}` : ''}`
  const isBatch = body.trimStart().startsWith('[')
  const verdict = verifyHubSpotRequest({ secret: deps.config.clientSecret, method: req.method, uri, body, headers: req.headers, allowV1: isBatch })
  if (!verdict.ok) {
    deps.logger.warn(`Refused a webhook: ${verdict.reason}`)
    return json(401, { error: 'invalid signature' })
  }

  if (path === SIBLINGS_CHANGED_PATH) {
    // Signed with the app's client secret: another installation of this app registered or left.
    forgetSiblings(deps)
    return json(200, { handled: ['channels of the app will be listed again'] })
  }

  let raw: unknown
  try {
    raw = JSON.parse(body)
  } catch {
    return json(400, { error: 'body is not JSON' })
  }

  try {
    if (Array.isArray(raw)) {
      if (raw.length > 1000) return json(413, { error: 'too many events' })
      return json(200, { handled: await handleAppEvents(deps, raw, headerOf(req.headers, FORWARDED_HEADER) !== undefined) })
    }
    if (typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string') {
      return await handleChannelEvent(deps, raw as Record<string, unknown>)
    }
    return json(400, { error: 'expected an event object or an array of events' })
  } catch (error) {
    if (isTransient(error)) {
      if (isNotYet(error)) deps.logger.info(`${error.message}; HubSpot will deliver the event again`)
      else deps.logger.warn(`Webhook handling failed transiently (${error instanceof Error ? error.name : 'error'}); HubSpot will deliver it again`)
      return json(503, { error: 'temporary failure, retry later' })
    }
    deps.logger.error(`Webhook handling failed: ${error instanceof Error ? error.message : String(error)}`)
    return json(200, { error: 'not processed: permanent failure, see the integration logs' })
  }
}

export const handleWebhook: IntegrationProps['handler'] = async (props) => {
  let deps: Deps
  // HubSpot signs the URL it calls: the one register gave it, kept in the setup state.
  const setup = await readSetup(props).catch(() => undefined)
  const requestPath = normalisePath(props.req.path)
  if (props.req.method.toUpperCase() === 'GET' && requestPath.startsWith('/hubspot-project')) {
    // Served before the configuration is filled in: the project gives the app credentials it needs.
    const webhookUrl = setup?.webhookUrl || env.publicWebhookUrl(props.ctx.webhookId)
    if (requestPath === '/hubspot-project') return projectPage(webhookUrl)
    if (requestPath === '/hubspot-project.json') return projectAsJson(webhookUrl)
  }
  try {
    deps = createDeps({ ...props, webhookUrl: setup?.webhookUrl }, 'webhook')
  } catch (error) {
    props.logger.error(error instanceof Error ? error.message : 'invalid configuration')
    return page(500, { title: 'The integration is not configured', tone: 'error', lines: ['Fill in the configuration in Botpress and save it.', WHERE_THE_LINK_IS] })
  }
  const path = normalisePath(props.req.path)
  const method = props.req.method.toUpperCase()
  if (method === 'GET' && path === '/oauth/start') return await startConnection(deps, props.req.query, headerOf(props.req.headers, 'cookie'))
  if (method === 'GET' && path === '/oauth/callback') {
    return finishConnection(deps, props.req.query, headerOf(props.req.headers, 'cookie'))
  }
  if (method === 'GET' && path === '/') return homePage(deps, props.req.query)
  if (method !== 'POST') return json(405, { error: 'method not allowed' })
  return receiveHubSpotWebhook(props, deps)
}
