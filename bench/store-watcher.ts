// Waits for what the integration makes visible in the Botpress stand-in (an agent message, a
// hitlAssigned / hitlStopped event) and notes the moment it appeared. One store listener serves
// every waiter, so fifty concurrent workers add no listeners.
import { performance } from 'node:perf_hooks'
import type { BotpressStandIn } from '../testbed/botpress'
import type { StoreEvents, StoredEvent, StoredMessage } from '../testbed/botpress/store'

type Waiter<T> = {
  matches: (item: T) => boolean
  resolve: (seen: { at: number; item: T }) => void
  timer: NodeJS.Timeout
}

export class EffectTimeout extends Error {
  public readonly name = 'EffectTimeout'
}

const conversationOfEvent = (event: StoredEvent): string | undefined =>
  typeof event.payload.conversationId === 'string' ? event.payload.conversationId : event.conversationId

export class StoreWatcher {
  private readonly messageWaiters = new Set<Waiter<StoredMessage>>()
  private readonly eventWaiters = new Set<Waiter<StoredEvent>>()

  private readonly onMessage = ({ kind, message }: StoreEvents['message'][0]): void => {
    if (kind === 'created') this.settle(this.messageWaiters, message)
  }

  private readonly onEvent = ({ kind, event }: StoreEvents['event'][0]): void => {
    if (kind === 'created') this.settle(this.eventWaiters, event)
  }

  public constructor(
    private readonly bp: BotpressStandIn,
    private readonly timeoutMs = 10_000
  ) {
    bp.on('message', this.onMessage)
    bp.on('event', this.onEvent)
  }

  public dispose(): void {
    this.bp.off('message', this.onMessage)
    this.bp.off('event', this.onEvent)
  }

  // The next message the integration creates on the conversation (incoming = towards the bot).
  public nextIncomingMessage(conversationId: string, type?: string): Promise<{ at: number; item: StoredMessage }> {
    return this.wait(
      this.messageWaiters,
      (message) =>
        message.conversationId === conversationId &&
        message.direction === 'incoming' &&
        (type === undefined || message.type === type),
      `a ${type ?? 'message'} on ${conversationId}`
    )
  }

  public nextEvent(conversationId: string, type: string): Promise<{ at: number; item: StoredEvent }> {
    return this.wait(
      this.eventWaiters,
      (event) => event.type === type && conversationOfEvent(event) === conversationId,
      `${type} on ${conversationId}`
    )
  }

  private wait<T>(
    waiters: Set<Waiter<T>>,
    matches: (item: T) => boolean,
    what: string
  ): Promise<{ at: number; item: T }> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        matches,
        resolve,
        timer: setTimeout(() => {
          waiters.delete(waiter)
          reject(new EffectTimeout(`no ${what} within ${this.timeoutMs} ms`))
        }, this.timeoutMs),
      }
      waiters.add(waiter)
    })
  }

  private settle<T>(waiters: Set<Waiter<T>>, item: T): void {
    const at = performance.now()
    for (const waiter of waiters) {
      if (!waiter.matches(item)) continue
      clearTimeout(waiter.timer)
      waiters.delete(waiter)
      waiter.resolve({ at, item })
    }
  }
}
