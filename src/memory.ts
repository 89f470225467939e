// Process memory: what one process remembers between invocations to save calls (a token, an agent's
// user, the setup, a thread's channel). It is only a cache: any invocation may land on a new process,
// so correctness never depends on it. One kind of store, named per use, each with a size bound and
// a time-to-live, so nothing grows without end; tests empty them all at once.

type Entry<V> = { value: V; until: number }

export type CacheOptions = {
  // The oldest entries go first once the store holds this many.
  maxEntries: number
  // How long an entry is trusted (Infinity: until it is evicted or replaced).
  ttlMs: number
}

export class ProcessCache<V> {
  private readonly entries = new Map<string, Entry<V>>()

  public constructor(
    public readonly name: string,
    private readonly options: CacheOptions
  ) {}

  public get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.until <= now) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  public has(key: string): boolean {
    return this.get(key) !== undefined
  }

  public set(key: string, value: V, ttlMs = this.options.ttlMs): void {
    this.entries.delete(key)
    if (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.set(key, { value, until: Date.now() + ttlMs })
  }

  public delete(key: string): void {
    this.entries.delete(key)
  }

  // Every entry whose key starts with `prefix` (all of one installation's, for instance).
  public deleteWhere(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key)
  }

  public clear(): void {
    this.entries.clear()
  }

  public get size(): number {
    return this.entries.size
  }
}

const caches = new Map<string, ProcessCache<unknown>>()

// The store of one use; asking twice for a name gives the same store.
export const processCache = <V>(name: string, options: CacheOptions): ProcessCache<V> => {
  const known = caches.get(name)
  if (known) return known as ProcessCache<V>
  const created = new ProcessCache<V>(name, options)
  caches.set(name, created as ProcessCache<unknown>)
  return created
}

// Forgets everything this process remembers (tests; a process that must start afresh).
export const resetProcessMemory = (): void => {
  for (const cache of caches.values()) cache.clear()
}
