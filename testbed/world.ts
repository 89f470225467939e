// One local world: the HubSpot stand-in, the Botpress stand-in, and the integration served over
// HTTP by the SDK's own server (or any integration URL given), wired together as in production.
// Used by the end-to-end tests, `npm run testbed`, the sandbox, the benchmark and the load run.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { publisherProjectFiles } from '../src/hitl/project-files'
import {
  startBotpressStandIn,
  type BotpressStandIn,
  type BotpressStandInOptions,
  type IntegrationDriver,
} from './botpress'
import { HitlBot, type HitlBotOptions } from './botpress/hitl-bot'
import { connectLink } from './botpress/link-template'
import { startHubSpotStandIn } from './hubspot'

export type HubSpotStandIn = Awaited<ReturnType<typeof startHubSpotStandIn>>
export type HubSpotStandInOptions = NonNullable<Parameters<typeof startHubSpotStandIn>[0]>

export type WorldOptions = {
  configuration?: Record<string, unknown>
  hubspot?: HubSpotStandInOptions
  // Fixed port or token, for an integration started elsewhere that must know BP_API_URL and BP_TOKEN.
  botpress?: BotpressStandInOptions
  // Drive an integration that is already running elsewhere instead of serving src/ in-process.
  integrationUrl?: string
  register?: boolean
  // Leave the refresh token out of the configuration (the connect flow provides it).
  withoutRefreshToken?: boolean
  // A project app (the default, as HubSpot creates today) gets the project the integration serves
  // at <webhook URL>/hubspot-project.json uploaded before register; false skips the upload.
  uploadProject?: boolean
  // The hitl plugin's timing and configuration (activation delay, agentAssignedTimeoutSeconds).
  plugin?: HitlBotOptions
  env?: Record<string, string>
  /**
   * One-click connect (the default configuration, x-bp-configuration-type absent): the HubSpot app
   * is the publisher's marketplace app (its project uploaded: redirect <webhook base>/oauth, app
   * webhooks to Botpress's global route), its credentials are the integration's SECRET_* variables,
   * and the configuration holds no HubSpot credentials. Without it the world installs the manual
   * configuration, as every test written before one-click expects. `secrets: false` deploys the
   * integration without the publisher's secrets.
   */
  oneClick?: boolean | { secrets?: boolean }
}

export const PUBLISHER_SECRET_NAMES = ['CLIENT_ID', 'CLIENT_SECRET', 'APP_ID', 'DEVELOPER_API_KEY'] as const

// What `bp deploy --secrets NAME=value` gives the running integration: SECRET_<NAME> variables.
export const setPublisherSecrets = (
  app: { clientId: string; clientSecret: string; appId: string; developerApiKey: string } | undefined
): void => {
  const values = {
    CLIENT_ID: app?.clientId,
    CLIENT_SECRET: app?.clientSecret,
    APP_ID: app?.appId,
    DEVELOPER_API_KEY: app?.developerApiKey,
  }
  for (const name of PUBLISHER_SECRET_NAMES) {
    const value = values[name]
    if (value === undefined) delete process.env[`SECRET_${name}`]
    else process.env[`SECRET_${name}`] = value
  }
}

export type World = {
  hs: HubSpotStandIn
  bp: BotpressStandIn
  driver: IntegrationDriver
  bot: HitlBot
  configuration: Record<string, unknown>
  integrationUrl: string
  connect: (configuration?: Record<string, unknown>) => IntegrationDriver
  // One-click: what pressing Botpress's Connect button does (the link linkTemplate.vrl renders),
  // followed through HubSpot's consent (the stand-in approves) to the integration's confirmation page.
  pressConnect: (driver?: IntegrationDriver) => Promise<{ status: number; url: string; body: string }>
  close: () => Promise<void>
}

// Short retry delays keep fault tests quick; budgets stay as in production. The plugin stand-in
// links a session 120 ms before activating it (200 ms of margin here, 600 ms in production); a
// session nobody links (startHitl called without the plugin) is taken as active 2.5 s after it
// started (5 s in production). A lock left by a killed process expires after 3 s instead of 10 s,
// so a test's quick redelivery finds it free.
const TESTBED_ENV = {
  HUBSPOT_RETRY_BASE_MS: '20',
  HITL_PLUGIN_ACTIVATION_GRACE_MS: '2500',
  HITL_PLUGIN_LINK_MARGIN_MS: '200',
  HITL_SESSION_LOCK_EXPIRY_MS: '3000',
}

let servedIntegration: Promise<{ server: Server; url: string }> | undefined

const serveIntegration = async (): Promise<{ server: Server; url: string }> => {
  servedIntegration ??= (async () => {
    const { default: integration } = await import('../src/index')
    // The SDK announces the port it was asked for ("Listening on port 0"): a free port's number is not that.
    const info = console.info
    console.info = (...args: unknown[]) => {
      if (!(typeof args[0] === 'string' && args[0].startsWith('Listening on port'))) info(...args)
    }
    try {
      const server = await integration.start(0)
      if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
      await new Promise((resolve) => setImmediate(resolve))
      return finishServing(server)
    } finally {
      console.info = info
    }
  })()
  return servedIntegration
}

const finishServing = (server: Server): { server: Server; url: string } => {
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}` }
}

export const startWorld = async (options: WorldOptions = {}): Promise<World> => {
  const hs = await startHubSpotStandIn(options.hubspot)
  const bp = await startBotpressStandIn(options.botpress)
  Object.assign(process.env, TESTBED_ENV, options.env, {
    HUBSPOT_API_URL: hs.url,
    HUBSPOT_AUTHORIZE_URL: `${hs.url}/oauth/authorize`,
    BP_API_URL: bp.url,
    BP_TOKEN: bp.token,
    BP_WEBHOOK_URL: bp.webhookBaseUrl,
  })
  const integrationUrl = options.integrationUrl ?? process.env.TESTBED_INTEGRATION_URL ?? (await serveIntegration()).url

  const oneClick = options.oneClick
    ? { secrets: true, ...(options.oneClick === true ? {} : options.oneClick) }
    : undefined
  if (oneClick) {
    setPublisherSecrets(oneClick.secrets ? hs.app : undefined)
    hs.uploadProject(
      Object.fromEntries(
        publisherProjectFiles(bp.webhookBaseUrl, bp.deployedIntegrationName.split('/')[0]!).map((file) => [
          file.path,
          file.content,
        ])
      )
    )
  }
  const configuration: Record<string, unknown> = oneClick
    ? { defaultInboxId: hs.inboxes[0]!.id, additionalInboxIds: [hs.inboxes[1]!.id], ...options.configuration }
    : {
        clientId: hs.app.clientId,
        clientSecret: hs.app.clientSecret,
        appId: hs.app.appId,
        developerApiKey: hs.app.developerApiKey,
        ...(options.withoutRefreshToken ? {} : { refreshToken: hs.refreshToken }),
        defaultInboxId: hs.inboxes[0]!.id,
        additionalInboxIds: [hs.inboxes[1]!.id],
        ...options.configuration,
      }
  if (!oneClick && hs.settings.appKind === 'legacy' && configuration.appKind === undefined) {
    configuration.appKind = 'legacy'
  }
  const connect = (overrides: Record<string, unknown> = configuration) =>
    bp.connect({ integrationUrl, configuration: overrides, configurationType: oneClick ? null : 'manual' })
  const driver = connect(configuration)
  if (!oneClick && hs.settings.appKind === 'project' && (options.uploadProject ?? true)) {
    await uploadServedProject(hs, driver.webhookUrl)
  }
  if (options.register ?? true) await driver.register()
  const bot = new HitlBot(bp, driver, options.plugin)

  return {
    hs,
    bp,
    driver,
    bot,
    configuration,
    integrationUrl,
    connect,
    pressConnect: async (target = driver) => {
      const link = connectLink(target, bp.webhookBaseUrl)
      const response = await fetch(link, { redirect: 'follow' })
      return { status: response.status, url: response.url, body: await response.text() }
    },
    close: async () => {
      bot.dispose()
      await hs.settle().catch(() => undefined)
      await Promise.all([hs.close(), bp.close()])
    },
  }
}

// What a bot builder does with the project page: take the files and run `hs project upload`.
export const uploadServedProject = async (hs: HubSpotStandIn, webhookUrl: string): Promise<void> => {
  const response = await fetch(`${webhookUrl}/hubspot-project.json`)
  if (!response.ok) throw new Error(`the integration served no project (${response.status})`)
  const project = (await response.json()) as { files: { path: string; content: string }[] }
  hs.uploadProject(Object.fromEntries(project.files.map((file) => [file.path, file.content])))
}

export const closeServedIntegration = async (): Promise<void> => {
  if (!servedIntegration) return
  const { server } = await servedIntegration
  servedIntegration = undefined
  await new Promise<void>((resolve) => server.close(() => resolve()))
}
