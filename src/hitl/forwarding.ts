// One HubSpot app serving several Botpress installations (a staging bot and a live bot, two bots):
// the app's webhooks (assignments, closes, deletions) go to the one target URL of the app, so the
// installation that holds it receives the events of the others' threads too. It hands each such
// event on to the installation whose channel the thread belongs to, signed as HubSpot signs it, so
// the receiver checks it as it checks HubSpot's. Only channels of our own app (listed with its
// developer key) that point at a Botpress webhook URL are ever sent anything, and an event that
// was handed on once is never handed on again.
import { z } from 'zod'
import type { SetupState } from '../../definitions'
import * as env from '../env'
import { getThreadEvenArchived } from '../hubspot/conversations'
import { listChannels } from '../hubspot/custom-channels'
import { HubSpotApiError } from '../hubspot/http'
import type { Channel } from '../hubspot/schemas'
import { signV3 } from '../hubspot/signature'
import { processCache } from '../memory'
import { readSetup, timeLeftFor, writeSetup, type Deps } from './context'
import type { Forwarded } from './events/outcome'

export const FORWARDED_HEADER = 'x-botpress-hitl-forwarded-from'

// A sibling answering 5xx or nothing: HubSpot delivers the batch again, and the sibling's own
// deduplication absorbs what it already handled.
export class ForwardingFailedError extends Error {
  public readonly name = 'ForwardingFailedError'
}

export type Sibling = { channelId: string; webhookUrl: string }

// The list is kept 10 s per process (a developer-key call, outside the portal's rate limit, and only
// when an event about an unknown thread comes); an installation that registers also tells the
// others at once (announceToSiblings), so the process that hears it lists again on its next event.
const FRESH_MS = 10_000
const MAX_SIBLINGS = 10
const THREAD_CACHE_LIMIT = 5000
// A sibling gets what is left of the webhook's time, at most this: it must never hold our answer.
const FORWARD_TIMEOUT_MS = 2_500

const siblingsByInstallation = processCache<Sibling[]>('siblings', { maxEntries: 1_000, ttlMs: FRESH_MS })
// A thread never changes channel: what a process learnt once holds.
const channelOfThread = processCache<string>('channel of thread', {
  maxEntries: THREAD_CACHE_LIMIT,
  ttlMs: Number.POSITIVE_INFINITY,
})

const isBotpressWebhookUrl = (url: string): boolean => {
  const base = `${env.botpressWebhookBaseUrl()}/`
  return url.startsWith(base) && url.length > base.length
}

// The app's other channels that lead to a Botpress installation: those events may be handed to.
// One-click lists every installation of the publisher app, in every customer's portal: an event is
// only ever handed to the one whose channel the thread (read with this portal's token, so a thread
// of this portal) belongs to, so it never leaves the portal.
export const siblingsAmong = (
  channels: Channel[],
  ourChannelId: string,
  ourWebhookUrl: string,
  max = MAX_SIBLINGS
): Sibling[] =>
  channels
    .filter(
      (channel) =>
        channel.id !== ourChannelId &&
        channel.webhookUrl &&
        channel.webhookUrl !== ourWebhookUrl &&
        isBotpressWebhookUrl(channel.webhookUrl)
    )
    .map((channel) => ({ channelId: channel.id, webhookUrl: channel.webhookUrl! }))
    .slice(0, max)

// Register has just listed the channels: the list serves this process's first events too.
export const rememberSiblings = (deps: Pick<Deps, 'ctx'>, siblings: Sibling[]): void => {
  siblingsByInstallation.set(deps.ctx.integrationId, siblings)
}

const listSiblings = async (deps: Deps, ourChannelId: string): Promise<Sibling[]> => {
  const known = siblingsByInstallation.get(deps.ctx.integrationId)
  if (known) return known
  const siblings = siblingsAmong(
    await listChannels(deps.hubspot),
    ourChannelId,
    deps.webhookUrl,
    deps.mode === 'one-click' ? Infinity : MAX_SIBLINGS
  )
  rememberSiblings(deps, siblings)
  return siblings
}

const threadChannel = async (deps: Deps, threadId: string): Promise<string | undefined> => {
  const key = `${deps.ctx.integrationId}:${threadId}`
  const known = channelOfThread.get(key)
  if (known) return known
  try {
    // Archived too: a deleted or archived thread is still someone's, and its deletion is news to them.
    const channelId = (await getThreadEvenArchived(deps.hubspot, threadId)).originalChannelId ?? undefined
    if (channelId) channelOfThread.set(key, channelId)
    return channelId
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 404) return undefined
    throw error
  }
}

const post = async (deps: Deps, url: string, body: string, ourChannelId: string): Promise<number> => {
  const timestamp = Date.now()
  const signature = signV3({ secret: deps.config.clientSecret, method: 'POST', uri: url, body, timestamp })
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signature,
      'x-hubspot-request-timestamp': String(timestamp),
      [FORWARDED_HEADER]: ourChannelId,
    },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeLeftFor(deps, FORWARD_TIMEOUT_MS)),
  })
  await response.body?.cancel()
  return response.status
}

const send = async (deps: Deps, sibling: Sibling, rawEvent: unknown, ourChannelId: string): Promise<void> => {
  let status: number
  try {
    status = await post(deps, sibling.webhookUrl, JSON.stringify([rawEvent]), ourChannelId)
  } catch {
    throw new ForwardingFailedError(`The installation of channel ${sibling.channelId} did not answer`)
  }
  if (status >= 500 || status === 429) {
    throw new ForwardingFailedError(`The installation of channel ${sibling.channelId} answered ${status}`)
  }
  if (status >= 300) {
    deps.logger.warn(
      `The installation of channel ${sibling.channelId} refused a forwarded event (${status}); check that it uses the same HubSpot app`
    )
  }
}

type ForwardTarget = { threadId: string; portalId: string }

// Called for an app event about a thread no session of this installation names. Returns what was
// done, or undefined when the event is nobody's we know (an email thread, a thread long closed).
export const forwardToSibling = async (
  deps: Deps,
  rawEvent: unknown,
  target: ForwardTarget,
  setup: { channelId: string; portalId?: string }
): Promise<Forwarded | undefined> => {
  const siblings = await listSiblings(deps, setup.channelId)
  if (siblings.length === 0) return undefined
  if (setup.portalId && target.portalId !== setup.portalId) {
    // One-click: the publisher app serves every customer's portal, and Botpress routed this event
    // here by its portal; one customer's events never go to another customer's bot.
    if (deps.mode === 'one-click') return undefined
    // Another portal's thread cannot be read with this portal's token: every installation of the
    // app is told, and the one connected to that portal handles it.
    await Promise.all(siblings.map((sibling) => send(deps, sibling, rawEvent, setup.channelId)))
    return `forwarded to ${siblings.length} other installation(s) of the app`
  }
  const channelId = await threadChannel(deps, target.threadId)
  if (!channelId || channelId === setup.channelId) return undefined
  const sibling = siblings.find((candidate) => candidate.channelId === channelId)
  if (!sibling) return undefined
  await send(deps, sibling, rawEvent, setup.channelId)
  return `forwarded to the installation of channel ${channelId}`
}

export const SIBLINGS_CHANGED_PATH = '/siblings-changed'

// Register tells the app's other installations that the list of channels changed, so the one that
// holds the app's target URL hands events to a new installation from the first one.
export const announceToSiblings = async (deps: Deps, siblings: Sibling[], ourChannelId: string): Promise<void> => {
  const body = JSON.stringify({ type: 'BOTPRESS_HITL_SIBLINGS_CHANGED', channelId: ourChannelId })
  await Promise.all(
    siblings.map((sibling) =>
      post(deps, `${sibling.webhookUrl}${SIBLINGS_CHANGED_PATH}`, body, ourChannelId).then(
        (status) => {
          if (status >= 300) {
            deps.logger.warn(
              `The installation of channel ${sibling.channelId} did not take the news of this one (${status})`
            )
          }
        },
        () =>
          deps.logger.warn(
            `The installation of channel ${sibling.channelId} did not answer; it learns of this one within 10 seconds`
          )
      )
    )
  )
}

export const forgetSiblings = (deps: Pick<Deps, 'ctx'>): void => {
  siblingsByInstallation.delete(deps.ctx.integrationId)
}

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
export const announceRemoval = async (deps: Deps, siblings: Sibling[], removal: Removal): Promise<void> => {
  const body = JSON.stringify(removal)
  await Promise.all(
    siblings.map((sibling) =>
      post(deps, `${sibling.webhookUrl}${SIBLINGS_CHANGED_PATH}`, body, removal.channelId).then(
        (status) => {
          if (status >= 300) {
            deps.logger.warn(
              `The installation of channel ${sibling.channelId} did not take the news of this removal (${status})`
            )
          }
        },
        () =>
          deps.logger.warn(`The installation of channel ${sibling.channelId} did not answer the news of this removal`)
      )
    )
  )
}

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
