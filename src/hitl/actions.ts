// The hitl actions: createUser, startHitl, stopHitl.
import { HubSpotApiError } from '../hubspot/api-error'
import { setThreadStatus } from '../hubspot/conversations'
import type { HistoryMessage, IntegrationProps, StartHitlInput } from '../types'
import { createDeps, readSetup, type Deps } from './context'
import { createCustomer, getCustomer, type Customer } from './customers'
import { explain, fail } from './errors'
import { pickedInboxFor, readInboxChoice } from './inbox-choice'
import { toHubSpotContent, transcriptMessages } from './messages'
import { flushOwed } from './outbox'
import { monotonicClock, publishContent } from './publish'
import { abandonOpening, loadSession, markClosed, markReady, openSession, recordThread } from './session'
import { drain, hasWork, reportWhatCameLate } from './session-work'
import { configuredInboxIds, ensureInboxAccount } from './setup/custom-channel'
import type { Party, ThreadAddress } from './thread-address'

type Actions = IntegrationProps['actions']

const guard = async <T>(deps: Deps, during: string, work: () => Promise<T>): Promise<T> => {
  try {
    return await work()
  } catch (error) {
    throw explain(error, during, deps)
  }
}

export const createUser: Actions['createUser'] = async (props) => {
  const deps = createDeps(props, 'action')
  return guard(deps, 'resolving the customer contact', async () => {
    const customer = await createCustomer(deps, props.input)
    return { userId: customer.userId }
  })
}

const partyOf = (customer: Customer): Party => ({ deliveryIdentifier: customer.delivery, name: customer.name })

// History senders other than the escalated customer (the plugin creates a user for each).
const historySender = async (deps: Deps, message: HistoryMessage, customer: Customer): Promise<Party | undefined> => {
  if (message.source.type !== 'user' || message.source.userId === customer.userId) return undefined
  return partyOf(await getCustomer(deps, message.source.userId))
}

const publishTranscript = async (
  deps: Deps,
  input: StartHitlInput,
  customer: Customer,
  thread: ThreadAddress,
  conversationId: string,
  onThreadOpened: (threadId: string) => Promise<void>
) => {
  const history = input.messageHistory ?? []
  const clock = monotonicClock()
  const lines = await Promise.all(
    history.map(async (message) => ({
      label:
        message.source.type === 'user'
          ? ((await historySender(deps, message, customer))?.name ?? customer.name)
          : deps.texts.botSenderName,
      content: toHubSpotContent(message, deps.texts),
    }))
  )
  // HubSpot channels open a thread with the customer's message (both production integrations do,
  // and an OUTGOING first message is unverified for routing and tickets): the handover note and the
  // transcript are the customer's request, written by the chatbot on their behalf.
  const [opening, ...rest] = transcriptMessages({
    header: deps.texts.handoverHeader({
      title: input.title,
      description: input.description,
      messageCount: history.length,
    }),
    lines,
    end: history.length > 0 ? deps.texts.transcriptEnd : undefined,
    attached: deps.texts.attachedFile,
  })
  const published = await publishContent(deps, thread, {
    from: 'customer',
    content: opening!,
    idempotencyKey: `${conversationId}:header`,
    clock,
  })
  const threadId = published[0]?.conversationsThreadId
  if (!threadId) throw fail('hubspotRefused', { during: 'opening the HubSpot thread', status: 'no thread ID' })
  await onThreadOpened(threadId)
  for (const [index, content] of rest.entries()) {
    await publishContent(deps, thread, {
      from: 'customer',
      content,
      idempotencyKey: `${conversationId}:transcript:${index + 1}`,
      clock,
    })
  }
  return threadId
}

// One-click with no default inbox configured: the inbox picked on the connection page. Read only
// when it can matter, so a configured installation makes no extra call.
const pickedInbox = async (deps: Deps): Promise<string> => {
  if (deps.mode !== 'one-click' || deps.config.defaultInboxId) return ''
  const [choice, setup] = await Promise.all([readInboxChoice(deps), readSetup(deps)])
  return pickedInboxFor(choice, setup?.portalId)
}

export const startHitl: Actions['startHitl'] = async (props) => {
  const deps = createDeps(props, 'action')
  const { input } = props
  const picked = await pickedInbox(deps)
  const inboxId = input.hitlSession?.inboxId || deps.config.defaultInboxId || picked
  if (!inboxId) {
    // Nothing set up yet (never connected, or removed and added again): connecting comes first.
    const connected = deps.mode === 'manual' || (await readSetup(deps)) !== undefined
    throw fail(connected ? 'noInboxChosen' : 'notConnectedOneClick', { connectUrl: deps.connectUrl })
  }
  const configured = configuredInboxIds(deps, picked)
  if (!configured.includes(inboxId)) throw fail('inboxNotConfigured', { inboxId, configured })

  const { setup, channelAccountId } = await guard(deps, `connecting inbox ${inboxId}`, () =>
    ensureInboxAccount(deps, inboxId)
  )
  const customer = await guard(deps, 'reading the customer', () => getCustomer(deps, input.userId))

  // The conversation exists, "opening", before HubSpot names the thread, so an assignment that
  // races the first message finds a session to wait for.
  const conversationId = await openSession(deps, {
    channelId: setup.channelId,
    channelAccountId,
    inboxId,
    customer: { botpressUserId: customer.userId, displayName: customer.name, delivery: customer.delivery },
    contactId: customer.contactId,
  })

  // The Botpress conversation ID is the thread's integrationThreadId: HubSpot hands it back with
  // every agent message, so replies need no lookup.
  const thread: ThreadAddress = {
    channelId: setup.channelId,
    channelAccountId,
    inboxId,
    integrationThreadId: conversationId,
    customer: partyOf(customer),
    contactId: customer.contactId,
  }
  try {
    // The thread is recorded as soon as it exists: routing may assign it while the transcript is published.
    const threadId = await publishTranscript(deps, input, customer, thread, conversationId, (opened) =>
      recordThread(deps, conversationId, opened)
    )
    await markReady(deps, conversationId)
    deps.logger.info(
      `HITL session started: conversation ${conversationId}, HubSpot thread ${threadId}, inbox ${inboxId}`
    )
  } catch (error) {
    await abandonOpening(deps, conversationId)
    throw explain(error, 'publishing the conversation to HubSpot', deps)
  }
  await settleWhatCameEarly(deps, conversationId)
  return { conversationId }
}

// Events HubSpot sent while the escalation was being written (an agent assigned by routing at once,
// a close) were recorded on the session: they are settled now, hitlAssigned scheduled for when the
// plugin sees the session. The session is started whatever happens here: what fails stays recorded
// for the session's next event.
const settleWhatCameEarly = async (deps: Deps, conversationId: string): Promise<void> => {
  try {
    const session = await loadSession(deps, conversationId)
    if (session && hasWork(session)) await drain(deps, conversationId, { waitMs: 3_000 })
  } catch (error) {
    deps.logger.warn(
      `Events of conversation ${conversationId} that came while it started are left for its next event (${error instanceof Error ? error.message : 'error'})`
    )
  }
}

export const stopHitl: Actions['stopHitl'] = async (props) => {
  const deps = createDeps(props, 'action')
  const session = await loadSession(deps, props.input.conversationId)
  if (!session?.threadId) throw fail('notHitlConversation', { conversationId: props.input.conversationId })
  // What the customer wrote (or the plugin's "the user has ended the session") while HubSpot failed
  // reaches the agent before the thread closes.
  // What HubSpot still refuses is reported, not dropped silently (the plugin has usually deactivated
  // the session by now, so the notice stays in the conversation for the record).
  if (session.owes && session.phase !== 'closed') {
    await drain(deps, session.conversationId, { waitMs: 10_000 })
    const after = await loadSession(deps, session.conversationId)
    if (after?.owes) {
      deps.logger.warn(
        `Conversation ${session.conversationId} ends with customer messages HubSpot has not taken; the customer is told`
      )
      await flushOwed(deps, after, { threadClosed: true })
    }
  }
  // Marked closed first, so the status webhook our own close causes is recognised and ignored.
  // Closing is repeated even when already marked: a failed earlier attempt may have left it open.
  if (session.phase !== 'closed') await markClosed(deps, session.conversationId)
  // What is still owed, or still to be told, is reported (what comes from here on, by its writer).
  const ending = await loadSession(deps, session.conversationId)
  if (ending && (ending.owes || ending.holdsNotices)) await reportWhatCameLate(deps, ending)
  try {
    await setThreadStatus(deps.hubspot, session.threadId, 'CLOSED')
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 404) {
      deps.logger.warn(`HubSpot thread ${session.threadId} no longer exists; the session is closed`)
      return {}
    }
    throw explain(error, 'closing the HubSpot thread', deps)
  }
  deps.logger.info(`HITL session stopped by the bot: conversation ${session.conversationId}`)
  return {}
}
