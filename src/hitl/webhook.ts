// Everything that reaches the integration's webhook URL: the connect pages (GET) and HubSpot's
// webhooks (POST). Responses mean something: 401 bad signature, 400 malformed body, 200 handled,
// recorded for later, or not ours. Each event of a batch stands alone: one that cannot be finished
// now is recorded on its session and finished without HubSpot (session-work.ts), so HubSpot, which
// delivers a refused webhook again only after minutes, is asked to (503) only when the work could
// not even be recorded: HubSpot or Botpress unreachable, or the invocation out of time.
import { isApiError, RuntimeError, type Response } from '@botpress/sdk'
import { DownloadError } from '../download'
import * as env from '../env'
import { HubSpotApiError } from '../hubspot/http'
import { HubSpotAuthError } from '../hubspot/oauth'
import { appWebhookEventSchema, outgoingMessageEventSchema, type AppWebhookEvent } from '../hubspot/schemas'
import { verifyHubSpotRequest, verifyPublisherAppBatch } from '../hubspot/signature'
import type { IntegrationProps } from '../types'
import { finishConnection, homePage, startConnection, WHERE_THE_LINK_IS } from './connect'
import { budgetFor, createDeps, readSetup, type Deps } from './context'
import { handleAgentReply } from './events/agent-reply'
import type { Outcome } from './events/outcome'
import { handleAssignment, handleStatusChange, handleThreadGone, NOT_A_HITL_THREAD } from './events/thread-events'
import {
  appEventsArrived,
  FORWARDED_HEADER,
  ForwardingFailedError,
  forwardToSibling,
  receiveSiblingNews,
  SIBLINGS_CHANGED_PATH,
} from './forwarding'
import { finishOneClick, startOneClick } from './one-click'
import { json, page } from './pages'
import { projectAsJson, projectPage } from './project-page'

const MAX_BODY_BYTES = 1024 * 1024

type HandlerProps = Parameters<IntegrationProps['handler']>[0]

// Why an event could not be handled: decides the answer.
type Failure = 'unreachable' | 'out of time' | 'refused' | 'defect'

const failureOf = (error: unknown): Failure => {
  if (error instanceof HubSpotApiError) return error.transient ? 'unreachable' : 'refused'
  if (error instanceof DownloadError) return error.permanent ? 'refused' : 'unreachable'
  if (error instanceof HubSpotAuthError || error instanceof RuntimeError) return 'refused'
  if (isApiError(error)) return error.code >= 500 || error.code === 429 ? 'unreachable' : 'refused'
  // A request to Botpress that got no answer at all.
  if (
    error instanceof Error &&
    /ECONNRESET|ECONNREFUSED|ETIMEDOUT|socket hang up|timeout|network/i.test(error.message)
  ) {
    return 'unreachable'
  }
  return 'defect'
}

type EventResult = { outcome: Outcome | string; failure?: Failure }

// Runs one event's handler; a failure is recorded against that event only.
const settleEvent = async (deps: Deps, what: string, work: () => Promise<Outcome | string>): Promise<EventResult> => {
  try {
    return { outcome: await work() }
  } catch (error) {
    const cause = failureOf(error)
    const failure: Failure =
      cause === 'unreachable' && Date.now() >= deps.deadline - env.deadlineMarginMs() ? 'out of time' : cause
    const reason = error instanceof Error ? error.message : String(error)
    if (failure === 'unreachable' || failure === 'out of time') {
      deps.logger.warn(
        `A ${what} event could not be handled now (${error instanceof Error ? error.name : 'error'}); HubSpot will deliver it again`
      )
    } else if (failure === 'refused') deps.logger.error(`A ${what} event was not processed: ${reason}`)
    else {
      deps.logger.error(
        `A ${what} event failed on an unexpected error (a defect; please report it): ${error instanceof Error ? (error.stack ?? reason) : reason}`
      )
    }
    return { outcome: `failed: ${failure}`, failure }
  }
}

const answer = (results: EventResult[]): Response => {
  const handled = results.map((result) => result.outcome)
  if (results.some((result) => result.failure !== undefined && result.failure !== 'refused')) {
    return json(503, { handled, error: 'temporary failure, retry later' })
  }
  return json(200, { handled })
}

const headerOf = (headers: Record<string, string | undefined>, name: string): string | undefined =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]

const normalisePath = (path: string | undefined): string => {
  const trimmed = (path ?? '/').replace(/\/+$/, '')
  return trimmed === '' ? '/' : trimmed
}

const threadEventHandler = (
  event: AppWebhookEvent
): ((deps: Deps, event: AppWebhookEvent) => Promise<Outcome>) | undefined => {
  if (event.subscriptionType === 'conversation.deletion') return handleThreadGone
  if (event.subscriptionType !== 'conversation.propertyChange') return undefined
  if (event.propertyName === 'assignedTo') return handleAssignment
  if (event.propertyName === 'status') return handleStatusChange
  return undefined
}

// App webhook batches carry the events of every subscription of the app (contacts, association
// changes without objectId, …): each of ours is handled, everything else is passed over. An event
// about a thread of another installation of the same app is handed on to it (forwarding.ts), unless
// it was handed on already. A sibling that fails is its own infrastructure's failure: logged, and
// never a reason to hold this installation's events.
const handleAppEvents = async (deps: Deps, items: unknown[], forwarded: boolean): Promise<EventResult[]> => {
  const setup = await readSetup(deps)
  if (items.length) await appEventsArrived(deps, setup)
  const handOn = async (item: unknown, event: AppWebhookEvent, otherwise: string): Promise<string> => {
    if (forwarded || !setup?.channelId) return otherwise
    try {
      return (
        (await forwardToSibling(deps, item, { threadId: event.objectId, portalId: String(event.portalId) }, setup)) ??
        otherwise
      )
    } catch (error) {
      if (!(error instanceof ForwardingFailedError)) throw error
      deps.logger.warn(`${error.message}; its event of thread ${event.objectId} was not handed on`)
      return `ignored: ${error.message}`
    }
  }
  // Events of one thread are handled in the order HubSpot listed them; threads side by side.
  const handleItem = (item: unknown): Promise<EventResult> | EventResult => {
    const subscriptionType =
      typeof item === 'object' && item !== null ? (item as { subscriptionType?: unknown }).subscriptionType : undefined
    if (typeof subscriptionType !== 'string' || !subscriptionType.startsWith('conversation.')) {
      return { outcome: `ignored: ${typeof subscriptionType === 'string' ? subscriptionType : 'not an event'}` }
    }
    const parsed = appWebhookEventSchema.safeParse(item)
    if (!parsed.success) {
      deps.logger.warn(
        `Ignored a malformed ${subscriptionType} event (${parsed.error.issues[0]?.path.join('.') || 'root'}: ${parsed.error.issues[0]?.message})`
      )
      return { outcome: `ignored: malformed ${subscriptionType}` }
    }
    const event = parsed.data
    const work = threadEventHandler(event)
    if (!work) return { outcome: `ignored: ${subscriptionType}${event.propertyName ? ` ${event.propertyName}` : ''}` }
    return settleEvent(deps, subscriptionType, async () => {
      if (setup?.portalId && String(event.portalId) !== setup.portalId) {
        return handOn(item, event, 'ignored: another portal')
      }
      const outcome = await work(deps, event)
      return outcome === NOT_A_HITL_THREAD ? handOn(item, event, outcome) : outcome
    })
  }
  const byThread = new Map<string, number[]>()
  items.forEach((item, index) => {
    const objectId = typeof item === 'object' && item !== null ? String((item as { objectId?: unknown }).objectId) : ''
    byThread.set(objectId, [...(byThread.get(objectId) ?? []), index])
  })
  const results: EventResult[] = new Array(items.length)
  await Promise.all(
    [...byThread.values()].map(async (indexes) => {
      for (const index of indexes) results[index] = await handleItem(items[index])
    })
  )
  return results
}

const handleChannelEvent = async (deps: Deps, raw: Record<string, unknown>): Promise<Response> => {
  if (raw.type !== 'OUTGOING_CHANNEL_MESSAGE_CREATED') return json(200, { handled: [`ignored: ${String(raw.type)}`] })
  const parsed = outgoingMessageEventSchema.safeParse(raw)
  if (!parsed.success) return json(400, { error: 'malformed OUTGOING_CHANNEL_MESSAGE_CREATED event' })
  const event = parsed.data
  const result = await settleEvent(deps, 'agent message', async () => {
    const setup = await readSetup(deps)
    if (setup?.portalId && event.portalId && event.portalId !== setup.portalId) return 'ignored: another portal'
    return handleAgentReply(deps, event, setup?.channelId)
  })
  return answer([result])
}

const receiveHubSpotWebhook = async (props: HandlerProps, deps: Deps): Promise<Response> => {
  const { req } = props
  const body = req.body ?? ''
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) return json(413, { error: 'body too large' })

  const path = normalisePath(req.path)
  const uri = `${deps.webhookUrl}${path === '/' ? '' : path}${req.query ? `?${req.query}` : ''}`
  const isBatch = body.trimStart().startsWith('[')
  let verdict = verifyHubSpotRequest({
    secret: deps.config.clientSecret,
    method: req.method,
    uri,
    body,
    headers: req.headers,
    allowV1: isBatch,
  })
  // The publisher app's webhooks reach Botpress's global route, whose URL the integration cannot know.
  if (!verdict.ok && isBatch && deps.mode === 'one-click' && path === '/') {
    verdict = verifyPublisherAppBatch({
      secret: deps.config.clientSecret,
      method: req.method,
      installationUri: uri,
      body,
      headers: req.headers,
    })
  }
  if (!verdict.ok) {
    deps.logger.warn(`Refused a webhook: ${verdict.reason}`)
    return json(401, { error: 'invalid signature' })
  }

  if (path === SIBLINGS_CHANGED_PATH) {
    // Signed with the app's client secret: another installation of this app registered or left.
    return json(200, { handled: [await receiveSiblingNews(deps, body)] })
  }

  let raw: unknown
  try {
    raw = JSON.parse(body)
  } catch {
    return json(400, { error: 'body is not JSON' })
  }

  if (Array.isArray(raw)) {
    if (raw.length > 1000) return json(413, { error: 'too many events' })
    // Reading the setup is the one step every event of the batch shares.
    try {
      return answer(await handleAppEvents(deps, raw, headerOf(req.headers, FORWARDED_HEADER) !== undefined))
    } catch (error) {
      return answer([await settleEvent(deps, 'app webhook', () => Promise.reject(error))])
    }
  }
  if (typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string') {
    return handleChannelEvent(deps, raw as Record<string, unknown>)
  }
  return json(400, { error: 'expected an event object or an array of events' })
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
    deps = createDeps({ ...props, webhookUrl: setup?.webhookUrl }, budgetFor(props.req.method, requestPath))
  } catch (error) {
    props.logger.error(error instanceof Error ? error.message : 'invalid configuration')
    return page(500, {
      title: 'The integration is not configured',
      tone: 'error',
      lines: ['Fill in the configuration in Botpress and save it.', WHERE_THE_LINK_IS],
    })
  }
  const path = normalisePath(props.req.path)
  const method = props.req.method.toUpperCase()
  if (deps.mode === 'one-click') {
    if (method === 'GET' && path === '/oauth/start') return startOneClick(deps, props.req.query)
    if (method === 'GET' && path === '/oauth') return finishOneClick(deps, props.req.query)
    if (method === 'GET') {
      return page(200, {
        title: 'HubSpot Inbox HITL',
        tone: 'info',
        lines: [
          "This is the integration's webhook URL. To connect HubSpot, press Connect in the integration's page in Botpress.",
        ],
      })
    }
  }
  if (method === 'GET' && path === '/oauth/start') {
    return await startConnection(deps, props.req.query, headerOf(props.req.headers, 'cookie'))
  }
  if (method === 'GET' && path === '/oauth/callback') {
    return finishConnection(deps, props.req.query, headerOf(props.req.headers, 'cookie'))
  }
  if (method === 'GET' && path === '/') return homePage(deps, props.req.query)
  if (method !== 'POST') return json(405, { error: 'method not allowed' })
  return receiveHubSpotWebhook(props, deps)
}
