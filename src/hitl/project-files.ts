// The HubSpot project each installation uploads with the HubSpot CLI (`hs project upload`): a
// project app (developer platform 2026.03) with OAuth, private distribution, this installation's
// redirect URL and webhook target, the scopes the connect page asks for and the app webhook
// subscriptions. Served from the webhook URL and written by `npm run hubspot-project`.
import { createHash } from 'node:crypto'
import { deployedIntegrationName } from '../../definitions'
import {
  APP_SUBSCRIPTIONS,
  MAX_CONCURRENT_WEBHOOKS,
  OAUTH_SCOPE,
  OPTIONAL_SCOPES,
  redirectUrlFor,
  REQUIRED_SCOPES,
} from './app-requirements'

export const PLATFORM_VERSION = '2026.03'
export const PROJECT_PATHS = {
  project: 'hsproject.json',
  app: 'src/app/app-hsmeta.json',
  webhooks: 'src/app/webhooks/webhooks-hsmeta.json',
  readme: 'README.md',
} as const

export type ProjectFile = { path: string; content: string }

// What the bot builder copies from HubSpot into the integration's configuration once the project is
// uploaded, and where each is found. The project's README and page list them; README.md and hub.md
// name each (test/unit/project-parser.test.ts keeps them agreeing).
export const VALUES_TO_COPY = [
  { name: 'Client ID', where: "the app's Auth tab" },
  { name: 'Client secret', where: "the app's Auth tab" },
  { name: 'App ID', where: "the app's Auth tab" },
  { name: 'Developer API key', where: 'Development > Keys > Developer API key (create one if there is none)' },
  { name: 'Default inbox ID', where: "Settings > Inbox & Help Desk > Inboxes, the number in the inbox's page address" },
] as const

// The URL the template in the repository's hubspot-project/ folder is written for.
export const TEMPLATE_WEBHOOK_URL = 'https://webhook.botpress.cloud/YOUR-WEBHOOK-ID'

// Conversation events are declared under hubEvents, where HubSpot's own page on project webhooks
// lists the conversation.* subscription types:
// https://developers.hubspot.com/docs/apps/developer-platform/add-features/configure-webhooks
// `hs project validate` checks the files against HubSpot's schema before an upload (hub.md).
export const CONVERSATION_SUBSCRIPTIONS_SECTION = 'hubEvents'

// A name per installation, so two bots' projects never collide in one HubSpot account.
export const projectNameFor = (webhookUrl: string): string =>
  `botpress-hitl-${createHash('sha256').update(webhookUrl).digest('hex').slice(0, 8)}`

// The page the installation serves with this project and its setup steps (project-page.ts).
export const projectPageUrlFor = (webhookUrl: string): string => `${webhookUrl}/hubspot-project`

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

export const projectManifests = (webhookUrl: string) => ({
  project: { name: projectNameFor(webhookUrl), srcDir: 'src', platformVersion: PLATFORM_VERSION },
  app: {
    uid: 'botpress_hitl_app',
    type: 'app',
    config: {
      name: 'Botpress HITL',
      description:
        'Hands Botpress chatbot conversations to agents in a HubSpot inbox or help desk through a custom channel.',
      distribution: 'private',
      auth: {
        type: 'oauth',
        redirectUrls: [redirectUrlFor(webhookUrl)],
        requiredScopes: [OAUTH_SCOPE, ...REQUIRED_SCOPES],
        optionalScopes: [...OPTIONAL_SCOPES],
        conditionallyRequiredScopes: [],
      },
      permittedUrls: { fetch: [], iframe: [], img: [] },
      // HubSpot's app templates carry a support block; this one points to the installation's own
      // setup page. Add supportEmail or supportPhone for your team if you like.
      support: { documentationUrl: projectPageUrlFor(webhookUrl), supportUrl: projectPageUrlFor(webhookUrl) },
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

Upload it with the HubSpot CLI (Node 20 or later), in this folder:

    npm install -g @hubspot/cli@latest
    hs account auth        # asks for a personal access key: create it in the browser page the
                           # CLI opens, with access to developer projects, and paste it
    hs project validate    # optional: HubSpot's own check of these files, with its message
    hs project upload      # the first upload asks whether to create the project: answer yes
    hs project deploy      # only if the project's auto-deploy is off
    hs project open        # opens the project in HubSpot

Then copy these values into the integration's configuration in Botpress
(the app is Development > Projects > ${projectNameFor(webhookUrl)} > Botpress HITL):

${VALUES_TO_COPY.map((value) => `- ${value.name}: ${value.where}`).join('\n')}

Every step, and what to do when one fails: the integration's page on the Botpress Hub (hub.md).
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

// The publisher's app of one-click connect: one app for every customer, distributed on the
// marketplace, OAuth through Botpress's OAuth route (one redirect URL for every installation, routed
// by `state`), app webhooks of every portal to Botpress's global route of the integration, which
// routes each to the installation that claimed the portal (extract.vrl).
export const PUBLISHER_PROJECT_NAME = 'botpress-hubspot-inbox-hitl'
export const publisherRedirectUrl = (webhookBaseUrl: string): string => `${webhookBaseUrl.replace(/\/+$/, '')}/oauth`
// The global route is named after the deployed integration, `<workspace handle>/hubspot-inbox-hitl`.
export const publisherWebhookTarget = (webhookBaseUrl: string, workspaceHandle: string): string =>
  `${webhookBaseUrl.replace(/\/+$/, '')}/integration/global/${deployedIntegrationName(workspaceHandle)}`

export const publisherProjectFiles = (webhookBaseUrl: string, workspaceHandle: string): ProjectFile[] => {
  const base = projectManifests(publisherWebhookTarget(webhookBaseUrl, workspaceHandle))
  const project = { ...base.project, name: PUBLISHER_PROJECT_NAME }
  const app = {
    ...base.app,
    config: {
      ...base.app.config,
      name: 'Botpress HubSpot Inbox HITL',
      distribution: 'marketplace',
      auth: { ...base.app.config.auth, redirectUrls: [publisherRedirectUrl(webhookBaseUrl)] },
      support: {
        documentationUrl: 'https://botpress.com/integrations',
        supportUrl: 'https://botpress.com/integrations',
      },
    },
  }
  const text = `# ${PUBLISHER_PROJECT_NAME}

The publisher app of the HubSpot Inbox HITL integration's one-click connect: one app for every
bot builder, who connects a portal with Botpress's Connect button.

- OAuth redirect: ${publisherRedirectUrl(webhookBaseUrl)} (Botpress's OAuth route)
- App webhooks: ${publisherWebhookTarget(webhookBaseUrl, workspaceHandle)} (Botpress's global route of
  the integration as \`bp deploy\` names it in workspace "${workspaceHandle}")

Upload with \`hs project upload\`, then deploy the integration with
\`bp deploy --secrets CLIENT_ID=… --secrets CLIENT_SECRET=… --secrets APP_ID=… --secrets DEVELOPER_API_KEY=…\`
(README.md, "Publishing one-click connect").
`
  return [
    { path: PROJECT_PATHS.project, content: json(project) },
    { path: PROJECT_PATHS.app, content: json(app) },
    { path: PROJECT_PATHS.webhooks, content: json(base.webhooks) },
    { path: PROJECT_PATHS.readme, content: text },
  ]
}
