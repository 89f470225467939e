// register / unregister: check everything that can be checked and report every problem at once,
// then find or create our custom channel and one channel account per configured inbox. Saving the
// configuration again finds what the first save created and writes nothing to HubSpot.
import type { AppKind, SetupState } from '../../definitions'
import { MAX_ATTACHMENT_BYTES } from '../env'
import { listInboxes } from '../hubspot/conversations'
import * as channels from '../hubspot/custom-channels'
import { HubSpotApiError } from '../hubspot/http'
import { HubSpotAuthError, introspectToken, revokeRefreshToken, TokenManager } from '../hubspot/oauth'
import type { Channel, ChannelCapabilities, ChannelCreate, DeliveryIdentifier, Inbox } from '../hubspot/schemas'
import * as webhookSettings from '../hubspot/webhook-settings'
import {
  APP_SUBSCRIPTIONS,
  CONTACT_WRITE_SCOPE,
  describeSubscription,
  MAX_CONCURRENT_WEBHOOKS,
  REQUIRED_SCOPES,
  type WantedSubscription,
} from './app-requirements'
import { forgetSetup, readSetup, writeSetup, type Deps } from './context'
import { describeProblem, explain, fail, failAll } from './errors'
import {
  announceRemoval,
  announceToSiblings,
  describeRemoval,
  heirAmong,
  SIBLING_REMOVED,
  rememberSiblings,
  siblingsAmong,
  type Removal,
  type Sibling,
} from './forwarding'
import { projectRequirements } from './project-files'

export const CHANNEL_CAPABILITIES: ChannelCapabilities = {
  deliveryIdentifierTypes: ['HS_EMAIL_ADDRESS', 'HS_PHONE_NUMBER', 'CHANNEL_SPECIFIC_OPAQUE_ID'],
  threadingModel: 'INTEGRATION_THREAD_ID',
  allowInlineImages: false,
  allowOutgoingMessages: true,
  allowConversationStart: false,
  allowMultipleRecipients: false,
  outgoingAttachmentTypes: ['FILE'],
  allowedFileAttachmentMimeTypes: ['image/*', 'audio/*', 'video/*', 'application/*', 'text/*'],
  // Values seen working in production: HubSpot refuses others it does not allow
  // (INVALID_CHANNEL_CAPABILITY_VALUES) and then no channel exists. A message with several files
  // is published as several messages.
  maxFileAttachmentCount: 1,
  maxFileAttachmentSizeBytes: MAX_ATTACHMENT_BYTES,
  maxTotalFileAttachmentSizeBytes: MAX_ATTACHMENT_BYTES,
}

export const channelToCreate = (webhookUrl: string): ChannelCreate => ({
  name: 'Botpress',
  webhookUrl,
  channelDescription: 'Conversations handed over by a Botpress chatbot',
  capabilities: CHANNEL_CAPABILITIES,
})

// The business side of every thread in an inbox: how our channel account is identified.
export const inboxIdentifier = (inboxId: string): DeliveryIdentifier => ({
  type: 'CHANNEL_SPECIFIC_OPAQUE_ID',
  value: `botpress-inbox-${inboxId}`,
})

// One-click may have no inbox chosen yet (defaultInboxId '').
export const configuredInboxIds = (deps: Pick<Deps, 'config'>): string[] => [
  ...new Set([deps.config.defaultInboxId, ...deps.config.additionalInboxIds].filter((id) => id !== '')),
]

const describeInboxes = (inboxes: Inbox[]): string =>
  inboxes.length
    ? inboxes.map((inbox) => `${inbox.name} (${inbox.id})`).join(', ')
    : 'none: create an inbox in HubSpot first'

type Diagnosis = { problems: string[]; connected: boolean; portalId?: string }

// Which kind of HubSpot app this installation uses. No HubSpot API tells the two apart without
// calling the webhook settings API (which a project app must not), so: the configuration's choice;
// else the kind recorded at the first setup; else legacy for a setup an earlier version made (it
// supported legacy public apps only); else project, the only kind HubSpot lets anyone create today.
export const resolveAppKind = (
  deps: Pick<Deps, 'config'> & Partial<Pick<Deps, 'mode'>>,
  previous: SetupState | undefined
): { kind: AppKind; why: string } => {
  if (deps.mode === 'one-click') return { kind: 'project', why: 'the publisher app of one-click connect' }
  if (deps.config.appKind) return { kind: deps.config.appKind, why: 'as configured' }
  if (previous?.appKind) return { kind: previous.appKind, why: 'as recorded at the first setup' }
  if (previous) {
    return {
      kind: 'legacy',
      why: 'this installation was set up by an earlier version, which supported legacy public apps only',
    }
  }
  return { kind: 'project', why: 'the only kind HubSpot lets you create since 2026-06-23' }
}

const appKindName = (kind: AppKind): string => (kind === 'project' ? 'project app' : 'legacy public app')

const diagnose = async (
  deps: Deps,
  kind: AppKind
): Promise<Diagnosis & { channelList?: Awaited<ReturnType<typeof channels.listChannels>> }> => {
  const problems: string[] = []
  const { connectUrl } = deps

  const connection = (async (): Promise<Diagnosis> => {
    let token: Awaited<ReturnType<TokenManager['current']>>
    try {
      token = await deps.tokens.current()
    } catch (error) {
      if (error instanceof HubSpotAuthError && error.problem === 'not-connected') {
        return { problems: [], connected: false }
      }
      return { problems: [explain(error, 'connecting to HubSpot', connectUrl).message], connected: false }
    }
    const found: string[] = []
    const [info, inboxes] = await Promise.all([
      // Token introspection only sharpens the diagnosis; without it the checks below are skipped.
      introspectToken(deps.hubspot, deps.config, token.accessToken)
        .then((result) => (result.active ? result : undefined))
        .catch(() => undefined)
        .then((result) => {
          if (!result) {
            deps.logger.warn('HubSpot did not describe the access token; its scopes and app were not checked')
          }
          return result
        }),
      listInboxes(deps.hubspot).catch((error: unknown) => {
        found.push(explain(error, 'listing the inboxes', connectUrl).message)
        return undefined
      }),
    ])
    if (info?.scopes) {
      const granted = new Set(info.scopes)
      const missing = REQUIRED_SCOPES.filter((scope) => !granted.has(scope))
      if (missing.length) found.push(describeProblem('missingScopes', { missing, connectUrl }))
      if (deps.config.contactPolicy === 'create' && !granted.has(CONTACT_WRITE_SCOPE)) {
        found.push(describeProblem('contactPolicyNeedsScope', { connectUrl, kind }))
      }
    }
    if (info?.app_id !== undefined && String(info.app_id) !== deps.config.appId) {
      found.push(
        describeProblem('tokenForOtherApp', { tokenAppId: String(info.app_id), appId: deps.config.appId, connectUrl })
      )
    }
    const portalId = info?.hub_id !== undefined ? String(info.hub_id) : token.portalId
    if (inboxes) {
      const known = new Set(inboxes.map((inbox) => inbox.id))
      const unknown = configuredInboxIds(deps).filter((id) => !known.has(id))
      if (unknown.length) {
        found.push(
          describeProblem('unknownInbox', {
            inboxIds: unknown,
            portalId: portalId ?? 'of this connection',
            available: describeInboxes(inboxes),
          })
        )
      }
    }
    return { problems: found, connected: true, portalId }
  })()

  const channelList = channels.listChannels(deps.hubspot).catch((error: unknown) => {
    const rejected =
      error instanceof HubSpotApiError && (error.status === 401 || error.status === 403 || error.status === 404)
    problems.push(
      rejected
        ? describeProblem('developerKeyRejected')
        : explain(error, 'listing the custom channels', connectUrl).message
    )
    return undefined
  })

  const [checked, list] = await Promise.all([connection, channelList])
  return {
    problems: [...checked.problems, ...problems],
    connected: checked.connected,
    portalId: checked.portalId,
    channelList: list,
  }
}

// Channel accounts of a channel HubSpot has just created may not be reachable yet: what cannot be
// created now is created on first use (ensureInboxAccount) instead of blocking the save.
const connectInboxes = async (deps: Deps, channelId: string, inboxIds: string[], known: Record<string, string>) => {
  const accounts = { ...known }
  const missing = inboxIds.filter((id) => !accounts[id])
  if (missing.length === 0) return accounts
  let existing: Awaited<ReturnType<typeof channels.listChannelAccounts>> = []
  try {
    existing = await channels.listChannelAccounts(deps.hubspot, channelId)
  } catch (error) {
    if (!(error instanceof HubSpotApiError && (error.status === 404 || error.transient))) throw error
  }
  for (const inboxId of missing) {
    const reusable = existing.find((account) => account.inboxId === inboxId && account.authorized && !account.archived)
    if (reusable) {
      accounts[inboxId] = reusable.id
      continue
    }
    try {
      const created = await channels.createChannelAccount(deps.hubspot, channelId, {
        inboxId,
        name: 'Botpress chatbot',
        authorized: true,
        deliveryIdentifier: inboxIdentifier(inboxId),
      })
      accounts[inboxId] = created.id
    } catch (error) {
      if (!(error instanceof HubSpotApiError && (error.status === 404 || error.transient))) throw error
      deps.logger.warn(
        `Inbox ${inboxId} could not be connected yet (HubSpot ${error.status ?? 'no answer'}); it will be connected on first escalation`
      )
    }
  }
  return accounts
}

// A subscription covers a wanted one when it is active for the same event and the same property,
// or for every property (one an admin created by hand without a property name).
const covers = (existing: webhookSettings.Subscription, wanted: WantedSubscription): boolean =>
  existing.active &&
  existing.eventType === wanted.eventType &&
  (!existing.propertyName || existing.propertyName === wanted.propertyName)

// A legacy public app's webhooks carry assignments, closes and deletions; they are set by API. A
// target that is another installation of the app stays: that one hands this one its events.
const ensureLegacyAppWebhooks = async (deps: Deps, siblings: Sibling[]) => {
  const { appId } = deps.config
  try {
    const target = await webhookSettings.getWebhookTarget(deps.hubspot, appId)
    if (target && siblings.some((sibling) => sibling.webhookUrl === target)) {
      deps.logger.info(
        `The HubSpot app's webhooks go to another Botpress installation of the app (${target}); it hands this installation the events of its threads, so the target stays as it is`
      )
    } else if (target !== deps.webhookUrl) {
      if (target) {
        deps.logger.warn(
          `The HubSpot app's webhook target was ${target}, which is no installation of this app; it now points to this integration`
        )
      }
      await webhookSettings.setWebhookTarget(deps.hubspot, appId, deps.webhookUrl, MAX_CONCURRENT_WEBHOOKS)
    }
    const subscriptions = await webhookSettings.listSubscriptions(deps.hubspot, appId)
    for (const wanted of APP_SUBSCRIPTIONS) {
      if (subscriptions.some((existing) => covers(existing, wanted))) continue
      const inactive = subscriptions.find(
        (existing) =>
          existing.eventType === wanted.eventType && (existing.propertyName ?? undefined) === wanted.propertyName
      )
      if (inactive) await webhookSettings.activateSubscription(deps.hubspot, appId, inactive.id)
      else await webhookSettings.createSubscription(deps.hubspot, appId, wanted)
    }
  } catch (error) {
    const status = error instanceof HubSpotApiError ? ` (HubSpot ${error.status ?? 'no answer'})` : ''
    deps.logger.warn(
      `Could not configure the HubSpot app's webhooks${status}. In the app's Webhooks settings, set the target URL to ${deps.webhookUrl} and subscribe to ${APP_SUBSCRIPTIONS.map(describeSubscription).join(', ')}. If the app was created with the HubSpot CLI, set "HubSpot app kind" to project instead.`
    )
  }
}

// A project app's webhooks live in its project files, which no API reads: say what they must hold.
const explainProjectAppWebhooks = (deps: Deps) => {
  deps.logger.info(
    `HubSpot project app: its webhooks are configured by the project, not by this integration. ${projectRequirements(deps.webhookUrl)}. The ready project: ${deps.webhookUrl}/hubspot-project`
  )
}

// Several installations on one app: the app's webhooks reach whichever holds its target URL, and it
// hands each the events of its own threads. That needs each to keep the same client secret (events
// are signed with it) and the conversations.read scope (to find a thread's channel).
const explainSharedApp = (deps: Deps, siblings: Sibling[]) => {
  deps.logger.info(
    `This HubSpot app also serves ${siblings.length} other Botpress installation(s) (channels ${siblings.map((s) => s.channelId).join(', ')}). ` +
      `Its webhooks go to one target URL, this installation's or another's: whichever receives an assignment or a close of another installation's thread hands it on, signed with the app's client secret. ` +
      `Nothing to do: keep this app's client secret and developer API key in every installation's configuration.`
  )
}

const sameSetup = (a: SetupState | undefined, b: SetupState): boolean =>
  !!a &&
  a.channelId === b.channelId &&
  a.webhookUrl === b.webhookUrl &&
  a.portalId === b.portalId &&
  a.appKind === b.appKind &&
  JSON.stringify(Object.entries(a.channelAccounts).sort()) === JSON.stringify(Object.entries(b.channelAccounts).sort())

// Ours is the channel registered with our webhook URL. HubSpot may leave a new channel out of its
// list for a while, so the one we recorded is also asked for directly before creating another.
const findOurChannel = async (
  deps: Deps,
  list: Channel[],
  recordedId: string | undefined
): Promise<string | undefined> => {
  const listed =
    list.find((channel) => channel.id === recordedId && channel.webhookUrl === deps.webhookUrl) ??
    list.find((channel) => channel.webhookUrl === deps.webhookUrl)
  if (listed) return listed.id
  if (!recordedId) return undefined
  try {
    const recorded = await channels.getChannel(deps.hubspot, recordedId)
    return recorded.webhookUrl === deps.webhookUrl ? recorded.id : undefined
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 404) return undefined
    throw error
  }
}

const createOurChannel = async (deps: Deps): Promise<string> => {
  const created = await channels.createChannel(deps.hubspot, channelToCreate(deps.webhookUrl))
  deps.logger.info(`Created HubSpot custom channel ${created.id}`)
  return created.id
}

export type SetupOutcome = { status: 'ready'; setup: SetupState } | { status: 'awaiting-connection' }

export const setUp = async (deps: Deps): Promise<SetupOutcome> => {
  const previous = await readSetup(deps)
  const { kind, why } = resolveAppKind(deps, previous)
  deps.logger.info(`HubSpot app kind: ${appKindName(kind)} (${why})`)
  const diagnosis = await diagnose(deps, kind)
  if (diagnosis.problems.length) throw failAll(diagnosis.problems)
  if (!diagnosis.connected) {
    deps.logger.warn(
      `${describeProblem('notConnected', { connectUrl: deps.connectUrl })} Setup finishes as soon as HubSpot is connected.`
    )
    if (kind === 'project' && deps.mode === 'manual') explainProjectAppWebhooks(deps)
    return { status: 'awaiting-connection' }
  }

  const channelId =
    (await findOurChannel(deps, diagnosis.channelList ?? [], previous?.channelId)) ?? (await createOurChannel(deps))

  const known = previous?.channelId === channelId ? previous.channelAccounts : {}
  const wanted = configuredInboxIds(deps)
  const stillWanted = Object.fromEntries(Object.entries(known).filter(([inboxId]) => wanted.includes(inboxId)))
  const channelAccounts = await connectInboxes(deps, channelId, wanted, stillWanted)
  const siblings = siblingsAmong(
    diagnosis.channelList ?? [],
    channelId,
    deps.webhookUrl,
    deps.mode === 'one-click' ? Infinity : undefined
  )
  rememberSiblings(deps, siblings)
  if (kind === 'legacy') await ensureLegacyAppWebhooks(deps, siblings)
  else if (deps.mode === 'manual') explainProjectAppWebhooks(deps)
  // One-click: the siblings are every customer's installations of the publisher app; they are not
  // told of this one (whichever receives this portal's events lists the channels again within 10 s).
  if (siblings.length && deps.mode === 'manual') {
    explainSharedApp(deps, siblings)
    await announceToSiblings(deps, siblings, channelId)
  }

  if (previous?.removedSibling) {
    // Told when it happened; said again until the app's events arrive.
    const { level, text } = describeRemoval(previous.removedSibling, deps.webhookUrl)
    deps.logger[level](text)
  }

  const setup: SetupState = {
    webhookUrl: deps.webhookUrl,
    channelId,
    channelAccounts,
    portalId: diagnosis.portalId,
    appKind: kind,
    ...(previous?.removedSibling ? { removedSibling: previous.removedSibling } : {}),
  }
  if (!sameSetup(previous, setup)) await writeSetup(deps, setup)
  return { status: 'ready', setup }
}

// The channel account of an inbox, connecting it now if register could not.
export const ensureInboxAccount = async (
  deps: Deps,
  inboxId: string
): Promise<{ setup: SetupState; channelAccountId: string }> => {
  const setup = await readSetup(deps)
  if (!setup) throw fail('notSetUp')
  const existing = setup.channelAccounts[inboxId]
  if (existing) return { setup, channelAccountId: existing }
  const channelAccounts = await connectInboxes(deps, setup.channelId, [inboxId], setup.channelAccounts)
  const channelAccountId = channelAccounts[inboxId]
  if (!channelAccountId) {
    throw fail('hubspotUnavailable', { during: `connecting inbox ${inboxId} to the custom channel` })
  }
  const updated = { ...setup, channelAccounts }
  await writeSetup(deps, updated)
  return { setup: updated, channelAccountId }
}

// Before leaving, an installation that shares its app with others makes sure the app's webhooks
// still reach one of them: on a legacy app it points the target URL at the heir (forwarding.ts) when
// it named this installation, or nothing live; on a project app, which no API can change, it tells
// every remaining installation what to change in the project. Returns what to announce.
const handOverAppWebhooks = async (
  deps: Deps,
  setup: SetupState
): Promise<{ siblings: Sibling[]; removal?: Removal }> => {
  let siblings: Sibling[]
  try {
    siblings = siblingsAmong(await channels.listChannels(deps.hubspot), setup.channelId, deps.webhookUrl)
  } catch (error) {
    const status = error instanceof HubSpotApiError ? `HubSpot ${error.status ?? 'no answer'}` : 'error'
    deps.logger.warn(
      `Could not list the app's other installations (${status}); if another bot uses this HubSpot app, make sure the app's webhook target URL is that installation's webhook URL`
    )
    return { siblings: [] }
  }
  const heir = heirAmong(siblings)
  if (!heir) return { siblings }
  const kind = setup.appKind ?? resolveAppKind(deps, setup).kind
  const removal: Removal = {
    type: SIBLING_REMOVED,
    channelId: setup.channelId,
    webhookUrl: deps.webhookUrl,
    heirChannelId: heir.channelId,
    heirWebhookUrl: heir.webhookUrl,
    appKind: kind,
  }
  if (kind === 'legacy') {
    try {
      const target = await webhookSettings.getWebhookTarget(deps.hubspot, deps.config.appId)
      if (target && siblings.some((sibling) => sibling.webhookUrl === target)) {
        removal.targetNow = target
      } else {
        await webhookSettings.setWebhookTarget(
          deps.hubspot,
          deps.config.appId,
          heir.webhookUrl,
          MAX_CONCURRENT_WEBHOOKS
        )
        removal.targetNow = heir.webhookUrl
        deps.logger.info(
          `The HubSpot app's webhook target URL now points to ${heir.webhookUrl}, the installation of channel ${heir.channelId}, which hands the others their events`
        )
      }
    } catch (error) {
      const status = error instanceof HubSpotApiError ? `HubSpot ${error.status ?? 'no answer'}` : 'error'
      deps.logger.warn(
        `Could not move the HubSpot app's webhook target URL (${status}); the remaining installations are told to set it to ${heir.webhookUrl}`
      )
    }
  }
  if (!removal.targetNow) {
    deps.logger.info(
      `The ${siblings.length} remaining installation(s) of this HubSpot app are told to point the app's webhook target URL at ${heir.webhookUrl}, the installation of channel ${heir.channelId}`
    )
  }
  return { siblings, removal }
}

// Uninstall: the app's webhooks are handed on (above, manual mode only), the channel is archived and the refresh
// token revoked, so nothing this installation held keeps access to the portal.
export const tearDown = async (deps: Deps): Promise<void> => {
  const setup = await readSetup(deps)
  // One-click: the publisher app's webhooks go to Botpress's global route, never to an installation,
  // and its other installations are other customers' bots: there is nothing to hand over.
  const handOver =
    setup?.channelId && deps.mode === 'manual' ? await handOverAppWebhooks(deps, setup) : { siblings: [] }
  if (setup?.channelId) {
    try {
      await channels.deleteChannel(deps.hubspot, setup.channelId)
      deps.logger.info(`Archived HubSpot custom channel ${setup.channelId}`)
    } catch (error) {
      if (!(error instanceof HubSpotApiError && error.status === 404)) {
        throw explain(error, 'archiving the custom channel', deps.connectUrl)
      }
    }
  }
  const refreshToken = await deps.tokens.refreshToken().catch(() => undefined)
  if (refreshToken) await revokeQuietly(deps, refreshToken, 'the integration was uninstalled')
  // One-click: this installation no longer receives the portal's webhooks.
  if (deps.mode === 'one-click') {
    await deps.client
      .configureIntegration({ identifier: null })
      .catch(() => deps.logger.warn('Could not release the HubSpot portal identifier'))
  }
  await writeSetup(deps, null)
  await deps.client.setState({ type: 'integration', id: deps.ctx.integrationId, name: 'oauth', payload: null })
  TokenManager.forget(`${deps.ctx.integrationId}:`)
  forgetSetup(deps.ctx.integrationId)
  // Told once this channel is archived, so the list they read again no longer names it.
  if (handOver.removal) await announceRemoval(deps, handOver.siblings, handOver.removal)
}

// A refresh token no longer needed is revoked; a failure is reported, not fatal (the token then
// stays valid until the app is uninstalled from the portal).
export const revokeQuietly = async (deps: Deps, refreshToken: string, because: string): Promise<void> => {
  try {
    await revokeRefreshToken(deps.hubspot, deps.config, refreshToken)
    deps.logger.info(`Revoked the HubSpot refresh token: ${because}`)
  } catch (error) {
    const status = error instanceof HubSpotApiError ? `HubSpot ${error.status ?? 'no answer'}` : 'error'
    deps.logger.warn(
      `Could not revoke the HubSpot refresh token (${status}); uninstall the app from the HubSpot portal to revoke it`
    )
  }
}
