// Customer messages HubSpot could not take in time are owed, not lost. Each owed message says so in
// its own tags (delivery=owed), so no list is shared between processes; the conversation's
// `owes` flag lets a customer message see, from the tags Botpress sends with it, that older ones
// wait. Owed messages go out oldest first, with their idempotency key (once, whoever sends them),
// under the session's lock: before the conversation's next message, at the thread's next event, or
// at the periodic sweep. One HubSpot refuses for good is dropped and the customer told, without
// holding the ones after it; one still failing after OUTBOX_GIVE_UP_MS likewise. Nothing owed is
// ever published into a thread the agent closed: the customer is told instead.
import { RuntimeError } from '@botpress/sdk'
import { DownloadError } from '../download'
import * as env from '../env'
import { HubSpotApiError } from '../hubspot/api-error'
import type { Deps } from './context'
import { tellCustomer } from './notices'
import { customerMessageOf, publishBotpressMessage, type CustomerMessage } from './publish'
import { loadSession, markMessage, owedMessages, setOwes, type Session } from './session'

// HubSpot failed or timed out after the retries (a refusal or a bad file is not worth waiting for).
export const isWorthWaitingFor = (error: unknown): boolean =>
  (error instanceof HubSpotApiError && error.transient && error.envelope.policyName !== 'DAILY') ||
  (error instanceof DownloadError && !error.permanent)

// HubSpot (or the file) refused it for good: sending it again cannot help.
export const isRefusedForGood = (error: unknown): boolean =>
  (error instanceof HubSpotApiError && !error.transient) ||
  (error instanceof DownloadError && error.permanent) ||
  error instanceof RuntimeError

// The message is kept: its own tag first, then the conversation's flag (in that order, so a flush
// that clears the flag and then lists what is owed cannot miss it).
export const owe = async (deps: Deps, session: Session, message: CustomerMessage): Promise<void> => {
  await markMessage(deps, message.messageId, { delivery: 'owed' })
  await setOwes(deps, session.conversationId, true)
  // A session that ended meanwhile will send nothing more: whoever ended it reported what was owed
  // then (after marking it ended), and this is reported now.
  const now = await loadSession(deps, session.conversationId)
  if (now?.phase === 'closed') {
    await flushOwed(deps, now, { threadClosed: true })
    return
  }
  deps.logger.warn(
    `HubSpot did not take a customer message of conversation ${session.conversationId} in time; it is kept and sent with the next one`
  )
}

export type FlushResult = 'nothing owed' | 'still owed'

// One owed message: sent, reported to the customer (refused for good, or failing for too long), or
// left to wait (the ones after it wait too, so the agent reads them in order).
const sendOwed = async (
  deps: Deps,
  session: Session,
  stored: { createdAt: string },
  message: CustomerMessage
): Promise<'done' | 'wait'> => {
  try {
    const hubspotMessageId = await publishBotpressMessage(deps, session, message)
    await markMessage(deps, message.messageId, { delivery: 'sent', ...(hubspotMessageId && { hubspotMessageId }) })
    return 'done'
  } catch (error) {
    if (isWorthWaitingFor(error)) {
      if (Date.now() - Date.parse(stored.createdAt) < env.outboxGiveUpMs()) return 'wait'
      deps.logger.warn(
        `A customer message of conversation ${session.conversationId} could not reach HubSpot for ${Math.round(env.outboxGiveUpMs() / 1000)} s; the customer is told`
      )
      await reportUndelivered(deps, session, message, deps.texts.messageNotDelivered)
      return 'done'
    }
    if (!isRefusedForGood(error)) throw error
    deps.logger.warn(
      `HubSpot refused an owed customer message of conversation ${session.conversationId} (${error instanceof Error ? error.message : 'refused'}); the customer is told`
    )
    await reportUndelivered(deps, session, message, deps.texts.messageRefused)
    return 'done'
  }
}

// Under the session's lock. `threadClosed`: the agent closed the thread, so what is owed is
// reported to the customer rather than published into it.
export const flushOwed = async (
  deps: Deps,
  session: Session,
  options: { threadClosed: boolean }
): Promise<FlushResult> => {
  for (let round = 0; round < 3; round++) {
    for (const stored of await owedMessages(deps, session.conversationId)) {
      const message = customerMessageOf(stored)
      if (options.threadClosed) {
        await reportUndelivered(deps, session, message, deps.texts.messageAfterClose, { now: true })
      } else if ((await sendOwed(deps, session, stored, message)) === 'wait') return 'still owed'
    }
    // Cleared, then listed again: a message owed meanwhile is either seen here or sets the flag after.
    await setOwes(deps, session.conversationId, false)
    if ((await owedMessages(deps, session.conversationId)).length === 0) return 'nothing owed'
    await setOwes(deps, session.conversationId, true)
  }
  return 'still owed'
}

export const reportUndelivered = async (
  deps: Deps,
  session: Session,
  message: CustomerMessage,
  text: string,
  options?: { now: boolean }
): Promise<void> => {
  await markMessage(deps, message.messageId, { delivery: 'reported' })
  // A plugin notice is no customer's words: nobody is waiting for it.
  if (message.senderId) await tellCustomer(deps, session, message.messageId, text, options)
}
