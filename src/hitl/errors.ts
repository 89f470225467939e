// Every error a bot builder can meet, with its fix. Each message starts with a fixed summary that
// hub.md's troubleshooting table lists (a test keeps the two in step).
import { isApiError, RuntimeError } from '@botpress/sdk'
import type { AppKind } from '../../definitions'
import { DownloadError } from '../download'
import { HubSpotApiError } from '../hubspot/api-error'
import { HubSpotAuthError } from '../hubspot/oauth'
import type { Deps } from './context'

type Problem<A> = { summary: string; fix: (args: A) => string }
const problem = <A = void>(summary: string, fix: (args: A) => string): Problem<A> => ({ summary, fix })

export const problems = {
  invalidConfiguration: problem<{ issues: string[] }>(
    'The configuration is invalid.',
    ({ issues }) => `Fix these fields: ${issues.join('; ')}.`
  ),
  oneClickUnavailable: problem(
    'One-click connect is not available in this deployment.',
    () =>
      'This deployment of the integration was made without the publisher app\'s secrets (CLIENT_ID, CLIENT_SECRET, APP_ID, DEVELOPER_API_KEY). Choose the configuration "Manual: your own HubSpot app" and fill in your own app\'s credentials, or redeploy with bp deploy --secrets.'
  ),
  noInboxChosen: problem<{ connectUrl: string }>(
    'No HubSpot inbox is chosen yet.',
    ({ connectUrl }) =>
      `Press Connect in the integration's page in Botpress (${connectUrl}) and pick the inbox on the page that opens, or fill in "Default inbox ID" in the configuration and save.`
  ),
  notConnected: problem<{ connectUrl: string }>(
    'HubSpot is not connected.',
    ({ connectUrl }) =>
      `Open ${connectUrl} to connect your HubSpot portal, or paste a refresh token in the "Refresh token" field.`
  ),
  notConnectedOneClick: problem<{ connectUrl: string }>(
    'HubSpot is not connected.',
    ({ connectUrl }) =>
      `Press Connect in the integration's page in Botpress (${connectUrl}) and approve access to your HubSpot portal.`
  ),
  refreshTokenRejected: problem<{ connectUrl: string }>(
    'HubSpot rejected the refresh token.',
    ({ connectUrl }) =>
      `Reconnect HubSpot at ${connectUrl}: the token was revoked, the app was uninstalled, or it belongs to another app.`
  ),
  authorizationCodeRejected: problem<{ connectUrl: string }>(
    'HubSpot rejected the authorization code.',
    ({ connectUrl }) =>
      `Start again from ${connectUrl}: the approval was used twice or took too long, or the app's redirect URL is not <webhook URL>/oauth/callback.`
  ),
  authorizationCodeRejectedOneClick: problem(
    'HubSpot rejected the authorization code.',
    () => 'Press Connect in Botpress again: the approval was used twice or took too long.'
  ),
  appCredentialsRejected: problem(
    'HubSpot rejected the client ID or client secret.',
    () =>
      'Copy both from your HubSpot app (Development > Projects > your project > the app > Auth; for a legacy public app, Apps > your app > Auth) into the configuration.'
  ),
  developerKeyRejected: problem(
    'HubSpot rejected the developer API key or the app ID.',
    () =>
      "Copy the developer API key of the account that owns the app (Development > Keys > Developer API key; on a legacy developer account, Apps > Get HubSpot API key) and the app ID from the app's Auth tab."
  ),
  tokenForOtherApp: problem<{ tokenAppId: string; appId: string; connectUrl: string }>(
    'The HubSpot connection belongs to another app.',
    ({ tokenAppId, appId, connectUrl }) =>
      `The token was issued to app ${tokenAppId}, the configuration names app ${appId}: fix the app ID, or reconnect HubSpot at ${connectUrl}.`
  ),
  missingScopes: problem<{ missing: string[]; connectUrl: string }>(
    'The HubSpot connection lacks required scopes.',
    ({ missing, connectUrl }) =>
      `Missing: ${missing.join(', ')}. Add them to the app's scopes, then reconnect HubSpot at ${connectUrl}.`
  ),
  unknownInbox: problem<{ inboxIds: string[]; portalId: string; available: string }>(
    'An inbox ID does not exist in the HubSpot portal.',
    ({ inboxIds, portalId, available }) =>
      `Not found in portal ${portalId}: ${inboxIds.join(', ')}. Pick one of: ${available}.`
  ),
  contactPolicyNeedsScope: problem<{ connectUrl: string; kind: AppKind }>(
    'The contact policy "create" needs the crm.objects.contacts.write scope.',
    ({ connectUrl, kind }) =>
      kind === 'project'
        ? `It is an optional scope of the project's app: keep it in optionalScopes of src/app/app-hsmeta.json and reconnect HubSpot at ${connectUrl}, or choose the policy "anonymous" or "refuse".`
        : `Add the scope to the app and reconnect HubSpot at ${connectUrl}, or choose the policy "anonymous" or "refuse".`
  ),
  notSetUp: problem(
    'The integration is not set up in HubSpot yet.',
    () => 'Connect HubSpot, then save the configuration again so the custom channel and inbox connections are created.'
  ),
  inboxNotConfigured: problem<{ inboxId: string; configured: string[] }>(
    'The session names an inbox that is not configured.',
    ({ inboxId, configured }) =>
      `hitlSession.inboxId is ${inboxId}; add it to "Other inbox IDs" or use one of: ${configured.join(', ')}.`
  ),
  contactRefused: problem(
    'No HubSpot contact matches the customer, and the contact policy is "refuse".',
    () => 'Create the contact in HubSpot first, or choose the contact policy "create" or "anonymous".'
  ),
  customerUnidentified: problem(
    'The customer has no email address or phone number, and the contact policy is "refuse".',
    () =>
      'Ask the customer for an email or a phone number before escalating, or choose the contact policy "create" or "anonymous".'
  ),
  userNotFound: problem<{ userId: string }>(
    'The customer is not a user created by this integration.',
    ({ userId }) => `User ${userId} does not exist; call createUser first and pass the user ID it returns.`
  ),
  notHitlConversation: problem<{ conversationId: string }>(
    'The conversation is not a HubSpot HITL session.',
    ({ conversationId }) => `Conversation ${conversationId} was not created by startHitl of this integration.`
  ),
  sessionEnded: problem<{ conversationId: string }>(
    'The HITL session has already ended.',
    ({ conversationId }) =>
      `Conversation ${conversationId} is closed; the message was not sent to HubSpot. Start a new session to reach an agent.`
  ),
  dailyLimitReached: problem(
    "HubSpot's daily API limit was reached.",
    () =>
      "Nothing was retried: the limit resets at midnight in the portal's time zone. Lower the traffic, or raise the portal's API limit with HubSpot."
  ),
  rateLimited: problem<{ policy: string }>(
    "HubSpot's rate limit was reached.",
    ({ policy }) =>
      `Policy ${policy}; the integration retried within its time budget. Try again in a few seconds, or lower the traffic.`
  ),
  hubspotUnavailable: problem<{ during: string }>(
    'HubSpot did not answer in time.',
    ({ during }) =>
      `While ${during}, HubSpot kept failing or timing out after the retries. Try again shortly; check status.hubspot.com.`
  ),
  hubspotRefused: problem<{ during: string; status: string }>(
    'HubSpot refused a request.',
    ({ during, status }) =>
      `While ${during}, HubSpot answered ${status}. Check that the app still has access to the portal and the inbox.`
  ),
  attachmentFailed: problem<{ reason: string }>(
    'A file could not be sent to HubSpot.',
    ({ reason }) => `Reason: ${reason}.`
  ),
} as const

export type ProblemCode = keyof typeof problems

export const describeProblem = <C extends ProblemCode>(
  code: C,
  ...args: Parameters<(typeof problems)[C]['fix']>
): string => {
  const entry = problems[code] as Problem<unknown>
  return `${entry.summary} ${entry.fix(args[0])}`
}

export const fail = <C extends ProblemCode>(code: C, ...args: Parameters<(typeof problems)[C]['fix']>): RuntimeError =>
  new RuntimeError(describeProblem(code, ...args))

// Several problems found at once (register checks everything before reporting), one per line.
export const failAll = (descriptions: string[]): RuntimeError => new RuntimeError(descriptions.join('\n'))

// Turns a HubSpot-side failure into the RuntimeError a bot builder reads; Botpress API errors and
// programming errors pass through unchanged for the SDK to report.
export const explain = (error: unknown, during: string, deps: Pick<Deps, 'connectUrl' | 'mode'>): Error => {
  if (error instanceof RuntimeError || isApiError(error)) return error
  const { connectUrl } = deps
  const oneClick = deps.mode === 'one-click'
  if (error instanceof HubSpotAuthError) {
    if (error.problem === 'not-connected') {
      return fail(oneClick ? 'notConnectedOneClick' : 'notConnected', { connectUrl })
    }
    if (error.problem === 'refresh-token-rejected') return fail('refreshTokenRejected', { connectUrl })
    if (error.problem === 'authorization-code-rejected') {
      return oneClick ? fail('authorizationCodeRejectedOneClick') : fail('authorizationCodeRejected', { connectUrl })
    }
    return fail('appCredentialsRejected')
  }
  if (error instanceof DownloadError) return fail('attachmentFailed', { reason: error.message })
  if (error instanceof HubSpotApiError) {
    if (error.status === 429 && error.envelope.policyName === 'DAILY') return fail('dailyLimitReached')
    if (error.status === 429) return fail('rateLimited', { policy: error.envelope.policyName ?? 'unknown' })
    if (error.transient) return fail('hubspotUnavailable', { during })
    if (error.status === 403 && error.category === 'MISSING_SCOPES') {
      const scopes = error.envelope.errors?.flatMap((e) => e.context?.requiredGranularScopes ?? []) ?? []
      return fail('missingScopes', { missing: scopes.length ? scopes : ['(see the HubSpot app)'], connectUrl })
    }
    return fail('hubspotRefused', { during, status: `${error.status}${error.category ? ` ${error.category}` : ''}` })
  }
  return error instanceof Error ? error : new Error(String(error))
}
