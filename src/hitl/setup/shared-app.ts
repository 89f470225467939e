// What setup tells about the other Botpress installations of the same HubSpot app (forwarding.ts).
import type { SetupState } from '../../../definitions'
import type { Deps } from '../context'
import type { Sibling } from '../forwarding'
import { announceToSiblings, describeRemoval } from '../sibling-news'

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

// This installation is one of several: the bot builder is told how they share the app's webhooks,
// and the others list the app's channels again.
export const tellSiblings = async (deps: Deps, siblings: Sibling[], channelId: string): Promise<void> => {
  explainSharedApp(deps, siblings)
  await announceToSiblings(deps, siblings, channelId)
}

// Told when it happened; said again at each setup until the app's events arrive.
export const repeatRemovalNotice = (deps: Deps, previous: SetupState | undefined): void => {
  if (!previous?.removedSibling) return
  const { level, text } = describeRemoval(previous.removedSibling, deps.webhookUrl)
  deps.logger[level](text)
}
