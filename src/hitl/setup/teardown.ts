// unregister: the app's webhooks handed on (app-webhooks.ts), the channel archived and the refresh
// token revoked, so nothing this installation held keeps access to the portal.
import { HubSpotApiError } from '../../hubspot/api-error'
import * as channels from '../../hubspot/custom-channels'
import { revokeRefreshToken } from '../../hubspot/oauth'
import { TokenManager } from '../../hubspot/token-manager'
import { forgetSetup, readSetup, writeSetup, type Deps } from '../context'
import { explain } from '../errors'
import { writeInboxChoice } from '../inbox-choice'
import { announceRemoval } from '../sibling-news'
import { handOverAppWebhooks } from './app-webhooks'

export const tearDown = async (deps: Deps): Promise<void> => {
  const setup = await readSetup(deps)
  // One-click: the publisher app's webhooks go to Botpress's global route, never to an installation,
  // and its other installations are other customers' bots: nothing to hand over, no one to tell.
  const handOver =
    setup?.channelId && deps.mode === 'manual' ? await handOverAppWebhooks(deps, setup) : { siblings: [] }
  if (setup?.channelId) {
    try {
      await channels.deleteChannel(deps.hubspot, setup.channelId)
      deps.logger.info(`Archived HubSpot custom channel ${setup.channelId}`)
    } catch (error) {
      if (!(error instanceof HubSpotApiError && error.status === 404)) {
        throw explain(error, 'archiving the custom channel', deps)
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
  if (deps.mode === 'one-click') await writeInboxChoice(deps, null)
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
