// Everything register can check before it changes anything, reported at once: the connection
// (token, scopes, app, inboxes) and the developer key (by listing the custom channels).
import type { AppKind } from '../../../definitions'
import { HubSpotApiError } from '../../hubspot/api-error'
import { listInboxes } from '../../hubspot/conversations'
import * as channels from '../../hubspot/custom-channels'
import { HubSpotAuthError, introspectToken } from '../../hubspot/oauth'
import type { Inbox } from '../../hubspot/schemas'
import { type TokenManager } from '../../hubspot/token-manager'
import { CONTACT_WRITE_SCOPE, REQUIRED_SCOPES } from '../app-requirements'
import type { Deps } from '../context'
import { describeProblem, explain } from '../errors'
import { configuredInboxIds } from './custom-channel'

const describeInboxes = (inboxes: Inbox[]): string =>
  inboxes.length
    ? inboxes.map((inbox) => `${inbox.name} (${inbox.id})`).join(', ')
    : 'none: create an inbox in HubSpot first'

type Diagnosis = { problems: string[]; connected: boolean; portalId?: string }

export const diagnose = async (
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
      return { problems: [explain(error, 'connecting to HubSpot', deps).message], connected: false }
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
        found.push(explain(error, 'listing the inboxes', deps).message)
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

  // One-click: the publisher app's channels are every customer's; ours is found by its recorded ID.
  const listing = deps.mode === 'one-click' ? Promise.resolve(undefined) : channels.listChannels(deps.hubspot)
  const channelList = listing.catch((error: unknown) => {
    const rejected =
      error instanceof HubSpotApiError && (error.status === 401 || error.status === 403 || error.status === 404)
    problems.push(
      rejected ? describeProblem('developerKeyRejected') : explain(error, 'listing the custom channels', deps).message
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
