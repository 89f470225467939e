// Our custom channel in HubSpot: found by its webhook URL or created, and one channel account per
// configured inbox. Saving the configuration again finds what the first save created.
import type { SetupState } from '../../../definitions'
import { MAX_ATTACHMENT_BYTES } from '../../env'
import { HubSpotApiError } from '../../hubspot/api-error'
import * as channels from '../../hubspot/custom-channels'
import type { Channel, ChannelCapabilities, ChannelCreate } from '../../hubspot/schemas'
import { readSetup, writeSetup, type Deps } from '../context'
import { fail } from '../errors'
import { inboxIdentifier } from '../thread-address'

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

// One-click may have no inbox chosen yet (defaultInboxId ''), or the one picked on the connection
// page (inbox-choice.ts), which counts only while the configuration names no default.
export const configuredInboxIds = (deps: Pick<Deps, 'config'>, picked = ''): string[] => [
  ...new Set([deps.config.defaultInboxId || picked, ...deps.config.additionalInboxIds].filter((id) => id !== '')),
]

// Channel accounts of a channel HubSpot has just created may not be reachable yet: what cannot be
// created now is created on first use (ensureInboxAccount) instead of blocking the save.
export const connectInboxes = async (
  deps: Deps,
  channelId: string,
  inboxIds: string[],
  known: Record<string, string>
) => {
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

// Ours is the channel registered with our webhook URL. HubSpot may leave a new channel out of its
// list for a while, so the one we recorded is also asked for directly before creating another.
export const findOurChannel = async (
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

export const createOurChannel = async (deps: Deps): Promise<string> => {
  const created = await channels.createChannel(deps.hubspot, channelToCreate(deps.webhookUrl))
  deps.logger.info(`Created HubSpot custom channel ${created.id}`)
  return created.id
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
