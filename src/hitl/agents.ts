// HubSpot agents as Botpress users: one user per actor ID, with the agent's name and avatar, kept
// in step with HubSpot. Known agents are cached in memory so a reply costs no lookup.
import { getActor } from '../hubspot/conversations'
import { processCache } from '../memory'
import type { Deps } from './context'

type KnownAgent = { userId: string; name: string; pictureUrl?: string }
const knownAgents = processCache<KnownAgent>('agents', { maxEntries: 5_000, ttlMs: Number.POSITIVE_INFINITY })

const cacheKey = (deps: Deps, actorId: string) => `${deps.ctx.integrationId}:${actorId}`

export const normaliseAgentActorId = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim()
  if (!trimmed) return undefined
  if (/^\d+$/.test(trimmed)) return `A-${trimmed}`
  return /^A-\d+$/.test(trimmed) ? trimmed : undefined
}

// `refresh` asks HubSpot for the current name and avatar (on assignment); otherwise a cached agent
// is used as is unless the name HubSpot put on the message differs from the one we know.
export const resolveAgentUser = async (
  deps: Deps,
  actorId: string,
  options: { refresh: boolean; nameOnMessage?: string }
): Promise<string> => {
  const key = cacheKey(deps, actorId)
  const cached = knownAgents.get(key)
  const nameChanged = !!options.nameOnMessage && !!cached && options.nameOnMessage !== cached.name
  if (cached && !options.refresh && !nameChanged) return cached.userId

  let name = options.nameOnMessage ?? cached?.name
  let pictureUrl = cached?.pictureUrl
  try {
    const actor = await getActor(deps.hubspot, actorId)
    name = actor.name ?? name
    pictureUrl = actor.avatar ?? pictureUrl
  } catch {
    // The agent's profile is decoration: the message or assignment still goes through.
    deps.logger.warn(`Could not read HubSpot actor ${actorId}; using the name on the message`)
  }
  const profile = { name: name || deps.texts.agentFallbackName, pictureUrl }

  if (cached) {
    if (cached.name !== profile.name || cached.pictureUrl !== profile.pictureUrl) {
      await deps.client.updateUser({ id: cached.userId, name: profile.name, pictureUrl: profile.pictureUrl })
    }
    knownAgents.set(key, { userId: cached.userId, ...profile })
    return cached.userId
  }

  const { user } = await deps.client.getOrCreateUser({
    tags: { kind: 'agent', hubspotActorId: actorId },
    name: profile.name,
    pictureUrl: profile.pictureUrl,
    discriminateByTags: ['hubspotActorId'],
  })
  if (user.name !== profile.name || (profile.pictureUrl && user.pictureUrl !== profile.pictureUrl)) {
    await deps.client.updateUser({ id: user.id, name: profile.name, pictureUrl: profile.pictureUrl })
  }
  knownAgents.set(key, { userId: user.id, ...profile })
  return user.id
}
