// Project apps: what `hs project upload` does to the app. The upload is checked the way the HubSpot
// CLI checks it against the platform's JSON schema (an invalid *-hsmeta.json fails the upload), then
// it sets the app's auth (redirect URLs, required and optional scopes) and its webhooks (one target
// URL, the active subscriptions). Sources: shared/spec/hubspot-platform-2026.md §1 and §2.
import { z } from 'zod'
import { nowIso } from './http'
import type { StandInState } from './state'

// Platform versions the CLI's parser knows, less the deprecated 2025.1.
export const PLATFORM_VERSIONS = [
  '2025.2',
  '2026.03-beta',
  '2026.03',
  '2026.09-beta',
  '2026.09',
  '2027.03-beta',
  '2027.03',
] as const

const projectSchema = z.object({
  name: z.string().min(1),
  srcDir: z.string().min(1),
  platformVersion: z.enum(PLATFORM_VERSIONS),
})

const appSchema = z.object({
  uid: z.string().min(1),
  type: z.literal('app'),
  config: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    distribution: z.enum(['private', 'marketplace']),
    auth: z.object({
      type: z.enum(['oauth', 'static']),
      redirectUrls: z.array(z.string().url()).optional(),
      requiredScopes: z.array(z.string().min(1)),
      optionalScopes: z.array(z.string().min(1)).optional(),
      conditionallyRequiredScopes: z.array(z.string().min(1)).optional(),
    }),
    permittedUrls: z
      .object({ fetch: z.array(z.string()), iframe: z.array(z.string()), img: z.array(z.string()) })
      .partial()
      .optional(),
    support: z.record(z.string()).optional(),
  }),
})

const subscriptionSchema = z.object({
  subscriptionType: z.string().min(1),
  objectType: z.string().optional(),
  propertyName: z.string().optional(),
  active: z.boolean(),
})

const webhooksSchema = z.object({
  uid: z.string().min(1),
  type: z.literal('webhooks'),
  config: z.object({
    settings: z.object({ targetUrl: z.string().url(), maxConcurrentRequests: z.number().int().min(1).max(100) }),
    subscriptions: z
      .object({
        crmObjects: z.array(subscriptionSchema),
        legacyCrmObjects: z.array(subscriptionSchema),
        hubEvents: z.array(subscriptionSchema),
      })
      .partial()
      .strict(),
  }),
})

export type ProjectSection = 'crmObjects' | 'legacyCrmObjects' | 'hubEvents'
export type AppAuth = {
  redirectUrls: string[]
  requiredScopes: string[]
  optionalScopes: string[]
  // Caps how many portals may install the app (see installCapOf in auth.ts).
  distribution: 'private' | 'marketplace'
}

export class ProjectUploadError extends Error {
  public constructor(public readonly problems: string[]) {
    super(`hs project upload failed the schema check:\n${problems.join('\n')}`)
  }
}

const parseJsonFile = <T>(
  files: Record<string, string>,
  path: string,
  schema: z.ZodType<T>,
  problems: string[]
): T | undefined => {
  const raw = files[path]
  if (raw === undefined) {
    problems.push(`${path}: missing`)
    return undefined
  }
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    problems.push(`${path}: not JSON (${(error as Error).message})`)
    return undefined
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`)
    }
    return undefined
  }
  return parsed.data
}

// Which section each subscription type may be declared in. Conversation events sit in
// `state.settings.projectConversationSection` (hubEvents by default, where HubSpot's page on
// project webhooks lists the conversation.* types; a setting, so a test can model a stricter check).
const sectionProblems = (
  state: StandInState,
  path: string,
  section: ProjectSection,
  entries: z.infer<typeof subscriptionSchema>[]
): string[] =>
  entries.flatMap((entry, index) => {
    const where = `${path}: config.subscriptions.${section}[${index}]`
    if (section === 'crmObjects') {
      if (!/^object\./.test(entry.subscriptionType)) {
        return [`${where}.subscriptionType: ${entry.subscriptionType} is not an object.* event`]
      }
      if (!entry.objectType) return [`${where}.objectType: required`]
      return []
    }
    if (/^conversation\./.test(entry.subscriptionType) && section !== state.settings.projectConversationSection) {
      return [`${where}.subscriptionType: ${entry.subscriptionType} is not allowed in ${section}`]
    }
    if (entry.propertyName && !/\.propertyChange$/.test(entry.subscriptionType)) {
      return [`${where}.propertyName: only allowed on propertyChange subscriptions`]
    }
    return []
  })

// Validates the project and, when valid, applies it: the app becomes a project app.
export const uploadProject = (
  state: StandInState,
  files: Record<string, string>
): { name: string; targetUrl?: string } => {
  const problems: string[] = []
  const project = parseJsonFile(files, 'hsproject.json', projectSchema, problems)
  if (!project) throw new ProjectUploadError(problems)
  const appPath = `${project.srcDir}/app/app-hsmeta.json`
  const app = parseJsonFile(files, appPath, appSchema, problems)
  if (app && app.config.auth.type === 'oauth' && !app.config.auth.redirectUrls?.length) {
    problems.push(`${appPath}: config.auth.redirectUrls: an oauth app needs one`)
  }
  if (app && !app.config.auth.requiredScopes.includes('oauth')) {
    problems.push(`${appPath}: config.auth.requiredScopes: must include oauth`)
  }
  const webhookPaths = Object.keys(files).filter(
    (path) => path.startsWith(`${project.srcDir}/app/webhooks/`) && path.endsWith('-hsmeta.json')
  )
  if (webhookPaths.length > 1) {
    problems.push(`${project.srcDir}/app/webhooks: only one webhooks component per app, found ${webhookPaths.length}`)
  }
  const webhooksPath = webhookPaths[0]
  const webhooks = webhooksPath ? parseJsonFile(files, webhooksPath, webhooksSchema, problems) : undefined
  if (webhooks && webhooksPath) {
    for (const [section, entries] of Object.entries(webhooks.config.subscriptions) as [
      ProjectSection,
      z.infer<typeof subscriptionSchema>[],
    ][]) {
      problems.push(...sectionProblems(state, webhooksPath, section, entries))
    }
  }
  if (problems.length || !app) throw new ProjectUploadError(problems)

  state.settings.appKind = 'project'
  state.appAuth = {
    redirectUrls: app.config.auth.redirectUrls ?? [],
    requiredScopes: app.config.auth.requiredScopes,
    optionalScopes: app.config.auth.optionalScopes ?? [],
    distribution: app.config.distribution,
  }
  state.portal.subscriptions.clear()
  state.portal.appWebhookSettings = null
  if (webhooks) {
    const now = nowIso()
    state.portal.appWebhookSettings = {
      targetUrl: webhooks.config.settings.targetUrl,
      throttling: { maxConcurrentRequests: webhooks.config.settings.maxConcurrentRequests },
      createdAt: now,
      updatedAt: now,
    }
    const entries = Object.values(webhooks.config.subscriptions).flat()
    for (const entry of entries) {
      if (!entry?.active) continue
      const id = state.portal.nextId('subscription')
      state.portal.subscriptions.set(id, {
        id,
        eventType: entry.subscriptionType,
        propertyName: entry.propertyName,
        active: true,
        createdAt: now,
        updatedAt: now,
      })
    }
  }
  return { name: project.name, targetUrl: webhooks?.config.settings.targetUrl }
}
