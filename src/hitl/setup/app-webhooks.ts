// The HubSpot app's webhooks (assignments, closes, deletions): which kind of app this installation
// uses, set by API on a legacy public app, explained for a project app (its project files hold
// them), and handed to another installation of the app when this one leaves.
import type { AppKind, SetupState } from '../../../definitions'
import { HubSpotApiError } from '../../hubspot/api-error'
import * as channels from '../../hubspot/custom-channels'
import * as webhookSettings from '../../hubspot/webhook-settings'
import {
  APP_SUBSCRIPTIONS,
  describeSubscription,
  MAX_CONCURRENT_WEBHOOKS,
  type WantedSubscription,
} from '../app-requirements'
import type { Deps } from '../context'
import { siblingsAmong, type Sibling } from '../forwarding'
import { projectRequirements } from '../project-files'
import { heirAmong, SIBLING_REMOVED, type Removal } from '../sibling-news'

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

export const appKindName = (kind: AppKind): string => (kind === 'project' ? 'project app' : 'legacy public app')

// A subscription covers a wanted one when it is active for the same event and the same property,
// or for every property (one an admin created by hand without a property name).
const covers = (existing: webhookSettings.Subscription, wanted: WantedSubscription): boolean =>
  existing.active &&
  existing.eventType === wanted.eventType &&
  (!existing.propertyName || existing.propertyName === wanted.propertyName)

// A legacy public app's webhooks carry assignments, closes and deletions; they are set by API. A
// target that is another installation of the app stays: that one hands this one its events.
export const ensureLegacyAppWebhooks = async (deps: Deps, siblings: Sibling[]) => {
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
export const explainProjectAppWebhooks = (deps: Deps) => {
  deps.logger.info(
    `HubSpot project app: its webhooks are configured by the project, not by this integration. ${projectRequirements(deps.webhookUrl)}. The ready project: ${deps.webhookUrl}/hubspot-project`
  )
}

// Before leaving, an installation that shares its app with others makes sure the app's webhooks
// still reach one of them: on a legacy app it points the target URL at the heir (sibling-news.ts) when
// it named this installation, or nothing live; on a project app, which no API can change, it tells
// every remaining installation what to change in the project. Returns what to announce.
export const handOverAppWebhooks = async (
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
