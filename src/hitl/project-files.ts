// The HubSpot project each installation uploads with the HubSpot CLI (`hs project upload`): a
// project app (developer platform 2026.03) with OAuth, private distribution, this installation's
// redirect URL and webhook target, the scopes the connect page asks for and the app webhook
// subscriptions. Served from the webhook URL and written by `npm run hubspot-project`.
import { createHash } from 'node:crypto'
import { APP_SUBSCRIPTIONS, MAX_CONCURRENT_WEBHOOKS, OAUTH_SCOPE, OPTIONAL_SCOPES, redirectUrlFor, REQUIRED_SCOPES } from './app-requirements'

export const PLATFORM_VERSION = '2026.03'
export const PROJECT_PATHS = {
  project: 'hsproject.json',
  app: 'src/app/app-hsmeta.json',
  webhooks: 'src/app/webhooks/webhooks-hsmeta.json',
  readme: 'README.md',
} as const

export type ProjectFile = { path: string; content: string }

// The URL the template in the repository's hubspot-project/ folder is written for.
export const TEMPLATE_WEBHOOK_URL = 'https://webhook.botpress.cloud/YOUR-WEBHOOK-ID'

// Conversation events are declared under hubEvents: the placement a tested third-party guide
// reports; HubSpot's upload check refuses a wrong one (hub.md says what to do then).
export const CONVERSATION_SUBSCRIPTIONS_SECTION = 'hubEvents'

// A name per installation, so two bots' projects never collide in one HubSpot account.
export const projectNameFor = (webhookUrl: string): string =>
  `botpress-hitl-${createHash('sha256').update(webhookUrl).digest('hex').slice(0, 8)}`

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

export const projectManifests = (webhookUrl: string) => ({
  project: { name: projectNameFor(webhookUrl), srcDir: 'src', platformVersion: PLATFORM_VERSION },
  app: {
    uid: 'botpress_hitl_app',
    type: 'app',
    config: {
      name: 'Botpress HITL',
      description: 'Hands Botpress chatbot conversations to agents in a HubSpot inbox or help desk through a custom channel.',
      distribution: 'private',
      auth: {
        type: 'oauth',
        redirectUrls: [redirectUrlFor(webhookUrl)],
        requiredScopes: [OAUTH_SCOPE, ...REQUIRED_SCOPES],
        optionalScopes: [...OPTIONAL_SCOPES],
        conditionallyRequiredScopes: [],
      },
      permittedUrls: { fetch: [], iframe: [], img: [] },
    },
  },
  webhooks: {
    uid: 'botpress_hitl_webhooks',
    type: 'webhooks',
    config: {
      settings: { targetUrl: webhookUrl, maxConcurrentRequests: MAX_CONCURRENT_WEBHOOKS },
      subscriptions: {
        [CONVERSATION_SUBSCRIPTIONS_SECTION]: APP_SUBSCRIPTIONS.map((s) => ({
          subscriptionType: s.eventType,
          ...(s.propertyName ? { propertyName: s.propertyName } : {}),
          active: true,
        })),
      },
    },
  },
})

const readme = (webhookUrl: string): string => `# ${projectNameFor(webhookUrl)}

The HubSpot app of one Botpress HubSpot Inbox HITL installation, whose webhook URL is
${webhookUrl}

Upload it with the HubSpot CLI (Node 20 or later):

    npm install -g @hubspot/cli@latest
    hs account auth
    hs project upload

Then open the app (Development > Projects > ${projectNameFor(webhookUrl)} > Botpress HITL > Auth) and
copy the client ID, the client secret and the app ID into the integration's configuration in Botpress.
`

export const projectFiles = (webhookUrl: string): ProjectFile[] => {
  const manifests = projectManifests(webhookUrl)
  return [
    { path: PROJECT_PATHS.project, content: json(manifests.project) },
    { path: PROJECT_PATHS.app, content: json(manifests.app) },
    { path: PROJECT_PATHS.webhooks, content: json(manifests.webhooks) },
    { path: PROJECT_PATHS.readme, content: readme(webhookUrl) },
  ]
}

// What register says for a project app, whose webhooks no API can check.
export const projectRequirements = (webhookUrl: string): string =>
  `${PROJECT_PATHS.webhooks} must set settings.targetUrl to ${webhookUrl} and subscribe (under ${CONVERSATION_SUBSCRIPTIONS_SECTION}) to ${APP_SUBSCRIPTIONS.map(
    (s) => `${s.eventType}${s.propertyName ? ` ${s.propertyName}` : ''}`
  ).join(', ')}; ${PROJECT_PATHS.app} must list ${redirectUrlFor(webhookUrl)} in auth.redirectUrls`
