// One invocation at a time per session, across processes: Botpress Cloud runs the integration as
// many processes, and HubSpot may deliver the same assignment or close to two of them at once.
// The lock is a conversation state taken with getOrSetState (atomic: the first writer wins) and
// expiring on its own, so a process that dies holding it blocks nobody for long. Whoever does not
// get it answers 503, and HubSpot delivers the event again once the holder is done.
import { randomUUID } from 'node:crypto'
import * as env from '../../env'
import type { Deps } from '../context'

export class SessionBusyError extends Error {
  readonly name = 'SessionBusyError'
  constructor(conversationId: string) {
    super(`Another delivery of an event of conversation ${conversationId} is being handled`)
  }
}

export const withSessionLock = async <T>(deps: Deps, conversationId: string, work: () => Promise<T>): Promise<T> => {
  const owner = randomUUID()
  const { state } = await deps.client.getOrSetState({ type: 'conversation', id: conversationId, name: 'lock', payload: { owner }, expiry: env.sessionLockExpiryMs() })
  if ((state.payload as { owner?: string }).owner !== owner) throw new SessionBusyError(conversationId)
  try {
    return await work()
  } finally {
    await deps.client.setState({ type: 'conversation', id: conversationId, name: 'lock', payload: null }).catch(() => undefined)
  }
}
