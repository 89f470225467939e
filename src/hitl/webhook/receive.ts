// What a verified webhook asks for, done: an agent's message, the thread events of an app batch,
// or a sibling installation's news. Each event of a batch stands alone (answers.ts).
import type { Response } from '@botpress/sdk'
import type { SetupState } from '../../../definitions'
import { readSetup, type Deps } from '../context'
import { handleAgentReply } from '../events/agent-reply'
import { isNotAHitlThread, type Outcome } from '../events/outcome'
import { handleAssignment, handleStatusChange, handleThreadGone } from '../events/thread-events'
import { appEventsArrived, ForwardingFailedError, forwardToSibling, receiveSiblingNews } from '../forwarding'
import { json } from '../pages'
import { answerFor, settleEvent, type EventResult } from './answers'
import type { BatchItem, ChannelEvent, VerifiedRequest } from './verify'

type ThreadEvent = Extract<BatchItem, { kind: 'thread event' }>

type ThreadEventHandler = (deps: Deps, event: ThreadEvent['event']) => Promise<Outcome>

const handlerOf = ({ event }: ThreadEvent): ThreadEventHandler | undefined => {
  if (event.subscriptionType === 'conversation.deletion') return handleThreadGone
  if (event.subscriptionType !== 'conversation.propertyChange') return undefined
  if (event.propertyName === 'assignedTo') return handleAssignment
  if (event.propertyName === 'status') return handleStatusChange
  return undefined
}

// An event about a thread of another installation of the same app is handed on to it
// (forwarding.ts), unless it was handed on already. A sibling that fails is its own
// infrastructure's failure: logged, and never a reason to hold this installation's events.
const handOn = async (
  deps: Deps,
  setup: SetupState | undefined,
  item: ThreadEvent,
  forwarded: boolean,
  otherwise: Outcome
): Promise<Outcome> => {
  if (forwarded || !setup?.channelId) return otherwise
  const { event } = item
  try {
    const target = { threadId: event.objectId, portalId: String(event.portalId) }
    return (await forwardToSibling(deps, item.raw, target, setup)) ?? otherwise
  } catch (error) {
    if (!(error instanceof ForwardingFailedError)) throw error
    deps.logger.warn(`${error.message}; its event of thread ${event.objectId} was not handed on`)
    return `ignored: ${error.message}`
  }
}

const handleBatchItem = (
  deps: Deps,
  setup: SetupState | undefined,
  item: BatchItem,
  forwarded: boolean
): Promise<EventResult> | EventResult => {
  if (item.kind === 'not ours') return { outcome: `ignored: ${item.subscriptionType ?? 'not an event'}` }
  if (item.kind === 'malformed') {
    deps.logger.warn(`Ignored a malformed ${item.subscriptionType} event (${item.issue})`)
    return { outcome: `ignored: malformed ${item.subscriptionType}` }
  }
  const { event } = item
  const work = handlerOf(item)
  if (!work) {
    return { outcome: `ignored: ${event.subscriptionType}${event.propertyName ? ` ${event.propertyName}` : ''}` }
  }
  return settleEvent(deps, event.subscriptionType, async () => {
    if (setup?.portalId && String(event.portalId) !== setup.portalId) {
      return handOn(deps, setup, item, forwarded, 'ignored: another portal')
    }
    const outcome = await work(deps, event)
    return isNotAHitlThread(outcome) ? handOn(deps, setup, item, forwarded, outcome) : outcome
  })
}

// Events of one thread are handled in the order HubSpot listed them; threads side by side.
const handleAppBatch = async (deps: Deps, items: BatchItem[], forwarded: boolean): Promise<EventResult[]> => {
  const setup = await readSetup(deps)
  if (items.length) await appEventsArrived(deps, setup)
  const byThread = new Map<string, number[]>()
  items.forEach((item, index) => byThread.set(item.threadKey, [...(byThread.get(item.threadKey) ?? []), index]))
  const results: EventResult[] = new Array(items.length)
  await Promise.all(
    [...byThread.values()].map(async (indexes) => {
      for (const index of indexes) results[index] = await handleBatchItem(deps, setup, items[index]!, forwarded)
    })
  )
  return results
}

const handleChannelEvent = async (deps: Deps, channelEvent: ChannelEvent): Promise<Response> => {
  if (channelEvent.kind === 'other channel event') return json(200, { handled: [`ignored: ${channelEvent.type}`] })
  const { event } = channelEvent
  const result = await settleEvent(deps, 'agent message', async () => {
    const setup = await readSetup(deps)
    if (setup?.portalId && event.portalId && event.portalId !== setup.portalId) return 'ignored: another portal'
    return handleAgentReply(deps, event, setup?.channelId)
  })
  return answerFor([result])
}

export const receive = async (deps: Deps, request: VerifiedRequest): Promise<Response> => {
  if (request.kind === 'sibling news') return json(200, { handled: [await receiveSiblingNews(deps, request.body)] })
  if (request.kind === 'channel event') return handleChannelEvent(deps, request.event)
  // Reading the setup is the one step every event of the batch shares.
  try {
    return answerFor(await handleAppBatch(deps, request.items, request.forwarded))
  } catch (error) {
    return answerFor([await settleEvent(deps, 'app webhook', () => Promise.reject(error))])
  }
}
