// Whether the hitl plugin sees a session yet: events it would drop wait for it.
import { setTimeout as sleep } from 'node:timers/promises'
import * as env from '../env'
import { processCache } from '../memory'
import type { Deps } from './context'
import { loadSession, type Session } from './session'

// When the hitl plugin sees the session's events. It activates a session only after startHitl
// returned, in a few Botpress calls, and drops hitlAssigned and agent messages until then
// (plugins/hitl start-hitl.ts). Its one trace an integration can read is the tag it sets on the
// conversation (`<alias>#upstream`) just before its last two calls: once that is seen, the session
// is taken as active HITL_PLUGIN_LINK_MARGIN_MS later. Until it is seen, the session is taken as
// still activating, for at most HITL_PLUGIN_ACTIVATION_GRACE_MS after startHitl returned.
export type Activation =
  | { state: 'active' }
  | { state: 'activates'; at: number }
  | { state: 'starting' }
  | { state: 'ended' }

const linkSeenAt = processCache<number>('plugin link seen at', { maxEntries: 5_000, ttlMs: 10 * 60_000 })

export const activationOf = (session: Session, now = Date.now()): Activation => {
  if (session.phase === 'closed') return { state: 'ended' }
  if (session.startedByEarlierVersion) return { state: 'active' }
  if (!session.startedAt) return { state: 'starting' }
  let at = session.startedAt + env.pluginActivationGraceMs()
  if (session.linkedByPlugin) {
    let seen = linkSeenAt.get(session.conversationId)
    if (seen === undefined) linkSeenAt.set(session.conversationId, (seen = now))
    at = seen + env.pluginLinkMarginMs()
  }
  return at <= now ? { state: 'active' } : { state: 'activates', at }
}

// Waits, within the invocation's deadline, until the plugin sees the session; returns the session
// as last read and whether it is active.
export const awaitActivation = async (deps: Deps, session: Session): Promise<{ session: Session; active: boolean }> => {
  let current = session
  for (;;) {
    const activation = activationOf(current)
    if (activation.state === 'active') return { session: current, active: true }
    if (activation.state === 'ended') return { session: current, active: false }
    const now = Date.now()
    if (activation.state === 'activates' && activation.at > deps.deadline - env.deadlineMarginMs()) {
      return { session: current, active: false }
    }
    if (activation.state === 'starting' && now + 250 > deps.deadline - env.deadlineMarginMs()) {
      return { session: current, active: false }
    }
    await sleep(activation.state === 'activates' ? Math.min(200, Math.max(10, activation.at - now)) : 200)
    current = (await loadSession(deps, current.conversationId)) ?? current
  }
}
