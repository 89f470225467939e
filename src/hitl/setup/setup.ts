// register: check everything that can be checked and report every problem at once (diagnosis.ts),
// then find or create our custom channel and one channel account per configured inbox
// (custom-channel.ts), and the app's webhooks (app-webhooks.ts). Saving the configuration again
// finds what the first save created and writes nothing to HubSpot.
import type { SetupState } from '../../../definitions'
import { readSetup, writeSetup, type Deps } from '../context'
import { describeProblem, failAll } from '../errors'
import { rememberSiblings, siblingsAmong } from '../forwarding'
import { pickedInboxFor, readInboxChoice } from '../inbox-choice'
import { appKindName, ensureLegacyAppWebhooks, explainProjectAppWebhooks, resolveAppKind } from './app-webhooks'
import { configuredInboxIds, connectInboxes, createOurChannel, findOurChannel } from './custom-channel'
import { diagnose } from './diagnosis'
import { repeatRemovalNotice, tellSiblings } from './shared-app'

const sameSetup = (a: SetupState | undefined, b: SetupState): boolean =>
  !!a &&
  a.channelId === b.channelId &&
  a.webhookUrl === b.webhookUrl &&
  a.portalId === b.portalId &&
  a.appKind === b.appKind &&
  JSON.stringify(Object.entries(a.channelAccounts).sort()) === JSON.stringify(Object.entries(b.channelAccounts).sort())

export type SetupOutcome = { status: 'ready'; setup: SetupState } | { status: 'awaiting-connection' }

export const setUp = async (deps: Deps): Promise<SetupOutcome> => {
  const previous = await readSetup(deps)
  const { kind, why } = resolveAppKind(deps, previous)
  deps.logger.info(`HubSpot app kind: ${appKindName(kind)} (${why})`)
  const diagnosis = await diagnose(deps, kind)
  if (diagnosis.problems.length) throw failAll(diagnosis.problems)
  if (!diagnosis.connected) {
    deps.logger.warn(
      `${describeProblem(deps.mode === 'one-click' ? 'notConnectedOneClick' : 'notConnected', { connectUrl: deps.connectUrl })} Setup finishes as soon as HubSpot is connected.`
    )
    if (kind === 'project' && deps.mode === 'manual') explainProjectAppWebhooks(deps)
    return { status: 'awaiting-connection' }
  }

  const channelId =
    (await findOurChannel(deps, diagnosis.channelList ?? [], previous?.channelId)) ?? (await createOurChannel(deps))

  const known = previous?.channelId === channelId ? previous.channelAccounts : {}
  const picked =
    deps.mode === 'one-click' && !deps.config.defaultInboxId
      ? pickedInboxFor(await readInboxChoice(deps), diagnosis.portalId)
      : ''
  const wanted = configuredInboxIds(deps, picked)
  const stillWanted = Object.fromEntries(Object.entries(known).filter(([inboxId]) => wanted.includes(inboxId)))
  const channelAccounts = await connectInboxes(deps, channelId, wanted, stillWanted)
  const siblings = siblingsAmong(
    diagnosis.channelList ?? [],
    channelId,
    deps.webhookUrl,
    deps.mode === 'one-click' ? Infinity : undefined
  )
  // One-click lists no channels here: forwarding lists them when an event needs a sibling.
  if (deps.mode === 'manual') rememberSiblings(deps, siblings)
  if (kind === 'legacy') await ensureLegacyAppWebhooks(deps, siblings)
  else if (deps.mode === 'manual') explainProjectAppWebhooks(deps)
  // One-click: the siblings are every customer's installations of the publisher app; they are not
  // told of this one (whichever receives this portal's events lists the channels again within 10 s).
  if (siblings.length && deps.mode === 'manual') {
    await tellSiblings(deps, siblings, channelId)
  }
  repeatRemovalNotice(deps, previous)

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
