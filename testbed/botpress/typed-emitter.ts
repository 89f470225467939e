import { EventEmitter } from 'node:events'

type EventMap = Record<string, unknown[]>

/**
 * A node EventEmitter with typed event names and arguments. A listener that throws is logged, never
 * propagated: listeners run inside request handlers and must not break the API they observe.
 */
export class TypedEmitter<Events extends EventMap> {
  private readonly emitter = new EventEmitter()

  public constructor() {
    this.emitter.setMaxListeners(100)
  }

  public on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void)
    return this
  }

  public off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void)
    return this
  }

  public once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void)
    return this
  }

  public emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    for (const listener of this.emitter.rawListeners(event)) {
      try {
        ;(listener as (...a: Events[K]) => void)(...args)
      } catch (error) {
        console.error(`[botpress stand-in] a '${event}' listener threw`, error)
      }
    }
  }
}
