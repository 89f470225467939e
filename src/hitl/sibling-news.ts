// News between installations of one HubSpot app (forwarding.ts): one registered, or one was removed
// and the app's webhooks must reach a remaining one.
import { z } from 'zod'
import type { SetupState } from '../../definitions'
import { readSetup, writeSetup, type Deps } from './context'
import { forgetSiblings, postSigned, SIBLINGS_CHANGED_PATH, type Sibling } from './forwarding'

// News sent to the app's other installations on the signed path; a sibling that does not take it
// is logged, never a failure of this installation.
const tellEach = async (
  deps: Deps,
  siblings: Sibling[],
  body: string,
  fromChannelId: string,
  say: { refused: (status: number) => string; silent: string }
): Promise<void> => {
  await Promise.all(
    siblings.map((sibling) =>
      postSigned(deps, `${sibling.webhookUrl}${SIBLINGS_CHANGED_PATH}`, body, fromChannelId).then(
        (status) => {
          if (status >= 300) deps.logger.warn(`The installation of channel ${sibling.channelId} ${say.refused(status)}`)
        },
        () => deps.logger.warn(`The installation of channel ${sibling.channelId} ${say.silent}`)
      )
    )
  )
}

// Register tells the app's other installations that the list of channels changed, so the one that
// holds the app's target URL hands events to a new installation from the first one.
export const announceToSiblings = (deps: Deps, siblings: Sibling[], ourChannelId: string): Promise<void> =>
  tellEach(
    deps,
    siblings,
    JSON.stringify({ type: 'BOTPRESS_HITL_SIBLINGS_CHANGED', channelId: ourChannelId }),
    ourChannelId,
    {
      refused: (status) => `did not take the news of this one (${status})`,
      silent: 'did not answer; it learns of this one within 10 seconds',
    }
  )

// ── An installation removed ──────────────────────────────────────────────────────────────────────
// The app's webhooks go to one target URL. When the installation it names is removed, nobody gets
// assignments and closes until the target names a remaining installation: the one whose channel is
// the oldest (the same for every installation, so all of them say the same thing). On a legacy app
// tearDown moves the target by API; on a project app only `hs project upload` can, so every
// remaining installation is told, and says it again at each register until app events arrive.

export const SIBLING_REMOVED = 'BOTPRESS_HITL_SIBLING_REMOVED'

type AppKindName = NonNullable<SetupState['appKind']>
export type RemovedSibling = NonNullable<SetupState['removedSibling']>
export type Removal = RemovedSibling & { type: typeof SIBLING_REMOVED; targetNow?: string }

const channelOrder = (a: Sibling, b: Sibling): number => {
  const [x, y] = [Number(a.channelId), Number(b.channelId)]
  return Number.isFinite(x) && Number.isFinite(y) && x !== y ? x - y : a.channelId.localeCompare(b.channelId)
}

export const heirAmong = (siblings: Sibling[]): Sibling | undefined => [...siblings].sort(channelOrder)[0]

// What the bot builder must do, as the installation at `ownWebhookUrl` says it.
export const describeRemoval = (
  removal: RemovedSibling & { targetNow?: string },
  ownWebhookUrl: string
): { level: 'info' | 'warn'; text: string } => {
  const removed = `The installation of channel ${removal.channelId} (${removal.webhookUrl}) was removed from this HubSpot app.`
  const heirIsUs = removal.heirWebhookUrl === ownWebhookUrl
  const heir = heirIsUs
    ? `this installation's URL, ${ownWebhookUrl}`
    : `${removal.heirWebhookUrl} (the installation of channel ${removal.heirChannelId}, which hands this one the events of its threads)`
  if (removal.targetNow) {
    return {
      level: 'info',
      text: `${removed} The app's webhook target URL is now ${removal.targetNow}, a remaining installation, which hands each installation its assignments and closes: nothing to do.`,
    }
  }
  if (removal.appKind === 'legacy') {
    return {
      level: 'warn',
      text: `${removed} Its webhook target URL could not be moved: until it is, no installation receives assignments and closes. In HubSpot, open the legacy app's Webhooks settings and set the target URL to ${heir}.`,
    }
  }
  return {
    level: 'warn',
    text:
      `${removed} If the app's webhooks went to it (settings.targetUrl in src/app/webhooks/webhooks-hsmeta.json of the app's project is ${removal.webhookUrl}), no installation receives assignments and closes until the project is uploaded again, and only hs project upload can change it: ` +
      `in the project folder, set settings.targetUrl in src/app/webhooks/webhooks-hsmeta.json to ${heir}, then run hs project upload (and hs project deploy if auto-deploy is off). ` +
      `That file, ready, is on the project page ${removal.heirWebhookUrl}/hubspot-project. This is said again at each save until the app's events arrive.`,
  }
}

// tearDown tells every remaining installation, through the same signed path as announceToSiblings.
export const announceRemoval = (deps: Deps, siblings: Sibling[], removal: Removal): Promise<void> =>
  tellEach(deps, siblings, JSON.stringify(removal), removal.channelId, {
    refused: (status) => `did not take the news of this removal (${status})`,
    silent: 'did not answer the news of this removal',
  })

const removalSchema = z.object({
  type: z.literal(SIBLING_REMOVED),
  channelId: z.string(),
  webhookUrl: z.string(),
  heirChannelId: z.string(),
  heirWebhookUrl: z.string(),
  appKind: z.enum(['project', 'legacy'] as [AppKindName, AppKindName]),
  targetNow: z.string().optional(),
})

// A signed message from another installation of the app: it registered, or it was removed.
export const receiveSiblingNews = async (deps: Deps, body: string): Promise<string> => {
  forgetSiblings(deps)
  let parsed: ReturnType<typeof removalSchema.safeParse> | undefined
  try {
    parsed = removalSchema.safeParse(JSON.parse(body))
  } catch {
    parsed = undefined
  }
  if (!parsed?.success) return 'channels of the app will be listed again'
  const { type: _type, targetNow, ...removed } = parsed.data
  const { level, text } = describeRemoval(parsed.data, deps.webhookUrl)
  deps.logger[level](text)
  if (targetNow) return 'removal noted: the target URL was moved'
  const setup = await readSetup(deps)
  if (setup) await writeSetup(deps, { ...setup, removedSibling: removed })
  return 'removal noted: the bot builder is told what to change'
}

// App events reached this installation (directly or handed on): the app's target names a live
// installation again, so the note of a removal is done with.
export const appEventsArrived = async (deps: Deps, setup: SetupState | undefined): Promise<void> => {
  if (!setup?.removedSibling) return
  const { removedSibling: _done, ...rest } = setup
  await writeSetup(deps, rest)
  deps.logger.info(
    `The app's events arrive again: the removal of the installation of channel ${setup.removedSibling.channelId} needs nothing more`
  )
}
