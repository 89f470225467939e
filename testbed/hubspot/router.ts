// Route table on find-my-way: maps a method and path to a route definition and its path params.
import Router from 'find-my-way'
import type { Handler } from './http'

// developerKey: ?hapikey=&appId= only; developerKeyOrBearer: either (channel CRUD).
export type AuthMode = 'none' | 'bearer' | 'developerKey' | 'developerKeyOrBearer'

export type RouteDef = {
  auth: AuthMode
  // A bearer token needs at least one of these scopes.
  scopes?: string[]
  // Counted against the portal's 10-second limit when called with a bearer token (default true).
  rateLimited?: boolean
  handler: Handler
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

const METHODS = new Set<string>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

export class RouteTable {
  private readonly router = Router({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1000 })

  public add(method: HttpMethod, paths: string | string[], def: RouteDef): void {
    for (const path of Array.isArray(paths) ? paths : [paths]) this.router.on(method, path, () => undefined, def)
  }

  public find(method: string, path: string): { def: RouteDef; params: Record<string, string> } | null {
    if (!METHODS.has(method)) return null
    const found = this.router.find(method as HttpMethod, path)
    if (!found) return null
    const params: Record<string, string> = {}
    for (const [key, value] of Object.entries(found.params)) if (value !== undefined) params[key] = value
    return { def: found.store as RouteDef, params }
  }
}

// Prefixes under which HubSpot has published the same endpoints.
export const CUSTOM_CHANNEL_PREFIXES = [
  '/conversations/v3/custom-channels',
  '/conversations/custom-channels/v3',
  '/conversations/custom-channels/2026-03',
  '/conversations/custom-channels/2026-09',
]

// v3 in both spellings, and the dated versions (2026-09-beta is the newest; 2026-09 a placeholder).
export const CONVERSATIONS_PREFIXES = [
  '/conversations/v3/conversations',
  '/conversations/conversations/v3',
  '/conversations/conversations/2026-09-beta',
  '/conversations/conversations/2026-09',
]

export const under = (prefixes: string[], suffix: string): string[] => prefixes.map((prefix) => prefix + suffix)
