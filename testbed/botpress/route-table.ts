import Router from 'find-my-way'

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const
export type HttpMethod = (typeof METHODS)[number]

const isHttpMethod = (method: string): method is HttpMethod => (METHODS as readonly string[]).includes(method)

/** find-my-way keyed to our own typed handlers (its own handler slot is unused). */
export class RouteTable<Handler> {
  private readonly router = Router({ ignoreTrailingSlash: true })
  private readonly handlers: Handler[] = []

  public add(methods: HttpMethod | HttpMethod[], path: string, handler: Handler): this {
    const index = this.handlers.push(handler) - 1
    this.router.on(methods, path, () => undefined, { index })
    return this
  }

  public find(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | undefined {
    if (!isHttpMethod(method)) return undefined
    const found = this.router.find(method, pathname)
    if (!found) return undefined
    const index: unknown = found.store?.index
    const handler = typeof index === 'number' ? this.handlers[index] : undefined
    if (handler === undefined) return undefined
    const params: Record<string, string> = {}
    for (const [name, value] of Object.entries(found.params)) {
      if (value !== undefined) params[name] = value
    }
    return { handler, params }
  }
}
