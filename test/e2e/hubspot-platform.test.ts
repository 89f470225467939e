// Today's HubSpot: project apps whose webhooks come from the project files the integration hands
// out, OAuth on /oauth/2026-03/, dated API versions, legacy public apps still served, and the whole
// lifecycle after the OAuth v1 endpoints are removed.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { forgetSetup } from '../../src/hitl/context'
import { projectFiles } from '../../src/hitl/project-files'
import { TokenManager } from '../../src/hubspot/token-manager'
import { ProjectUploadError } from '../../testbed/hubspot'
import type { World } from '../../testbed/world'
import { captureOutput } from '../support/output'
import {
  connectThroughBrowser as connectFlow,
  customerView,
  eventsOf,
  hostFile,
  setEnv,
  settle,
  threadMessages,
  threadOf,
  world,
} from './helpers'

// The bot builder opens the connect link and approves in HubSpot.
const connectThroughBrowser = async (w: World) => {
  const { start, consent, callback } = await connectFlow(w)
  expect(start.status).toBe(302)
  expect(consent.status).toBe(302)
  expect(callback.body).toContain('HubSpot is connected')
  return new URL(start.location!)
}

type ServedProject = { name: string; webhookUrl: string; files: { path: string; content: string }[] }
const servedProject = async (w: World): Promise<ServedProject> =>
  (await fetch(`${w.driver.webhookUrl}/hubspot-project.json`)).json() as Promise<ServedProject>
const fileOf = (project: ServedProject, path: string) =>
  JSON.parse(project.files.find((file) => file.path === path)!.content)

// A whole session: escalation with history, both directions with files, assignment, close.
const wholeSession = async (w: World) => {
  const photo = await hostFile(w, 'photo.png', Buffer.from('png bytes'), 'image/png')
  const session = await w.bot.escalate({
    customer: { name: 'Nina New', email: 'nina.new@example.com' },
    history: [
      { from: 'customer', type: 'text', payload: { text: 'My parcel is late' } },
      { from: 'bot', type: 'text', payload: { text: 'Let me find you a human' } },
    ],
  })
  const threadId = threadOf(w, session)
  await w.bot.customerSays(session, { type: 'image', payload: { imageUrl: photo } })
  w.hs.agent.assign(threadId, 'A-111')
  w.hs.agent.reply(threadId, {
    actorId: 'A-111',
    text: 'Here is the label',
    files: [{ name: 'label.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4') }],
  })
  await settle(w)
  w.hs.agent.close(threadId)
  await settle(w)
  const view = customerView(w, session)
  expect(view.map((m) => m.type)).toEqual(['text', 'file'])
  expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
  expect(w.bot.status(session)).toMatchObject({ active: false, endReason: 'agent-closed-ticket' })
  const incoming = threadMessages(w, threadId).filter((m) => m.direction === 'INCOMING')
  expect(incoming.some((m) => m.attachments.length === 1)).toBe(true)
  return { session, threadId }
}

const LEGACY_PATHS = [
  /^\/oauth\/v1\//,
  /^\/crm\/v3\//,
  /^\/files\/v3\//,
  /^\/filemanager\//,
  /^\/conversations\/v3\/custom-channels/,
  /^\/conversations\/custom-channels\/v3/,
  /^\/webhooks\/v3\//,
]
const legacyCalls = (w: World) =>
  w.hs.calls
    .filter((call) => LEGACY_PATHS.some((pattern) => pattern.test(call.path)))
    .map((call) => `${call.method} ${call.path}`)

describe('[project-app] a project app set up from the files the integration hands out', () => {
  it("[project-app] the served project holds this installation's URLs, exactly the scopes the connect page asks for, and the subscriptions", async () => {
    const w = await world({ withoutRefreshToken: true, register: false, uploadProject: false })
    const project = await servedProject(w)
    expect(project.files.map((file) => file.path).sort()).toEqual([
      'README.md',
      'hsproject.json',
      'src/app/app-hsmeta.json',
      'src/app/webhooks/webhooks-hsmeta.json',
    ])
    expect(project.files).toEqual(projectFiles(w.driver.webhookUrl))

    expect(fileOf(project, 'hsproject.json')).toEqual({ name: project.name, srcDir: 'src', platformVersion: '2026.03' })
    const app = fileOf(project, 'src/app/app-hsmeta.json')
    expect(app).toMatchObject({
      type: 'app',
      config: {
        distribution: 'private',
        auth: { type: 'oauth', redirectUrls: [`${w.driver.webhookUrl}/oauth/callback`] },
      },
    })
    const webhooks = fileOf(project, 'src/app/webhooks/webhooks-hsmeta.json')
    expect(webhooks.config.settings).toEqual({ targetUrl: w.driver.webhookUrl, maxConcurrentRequests: 10 })
    expect(webhooks.config.subscriptions).toEqual({
      hubEvents: [
        { subscriptionType: 'conversation.propertyChange', propertyName: 'assignedTo', active: true },
        { subscriptionType: 'conversation.propertyChange', propertyName: 'status', active: true },
        { subscriptionType: 'conversation.deletion', active: true },
      ],
    })

    // HubSpot's upload check accepts it; the connect page then asks for exactly the declared scopes.
    w.hs.uploadProject(Object.fromEntries(project.files.map((file) => [file.path, file.content])))
    await w.driver.register()
    const authorize = await connectThroughBrowser(w)
    expect(authorize.searchParams.get('scope')!.split(' ')).toEqual(app.config.auth.requiredScopes)
    expect(authorize.searchParams.get('optional_scope')!.split(' ')).toEqual(app.config.auth.optionalScopes)
    expect(app.config.auth.requiredScopes).toContain('oauth')
    expect(authorize.searchParams.get('redirect_uri')).toBe(app.config.auth.redirectUrls[0])

    const page = await fetch(`${w.driver.webhookUrl}/hubspot-project`)
    expect(page.headers.get('content-type')).toContain('text/html')
    const html = await page.text()
    for (const file of project.files) expect(html).toContain(`data-file="${file.path}"`)
    expect(html).toContain(`Download ${project.name}.zip`)
  })

  it('[project-app] a whole session on a project app, its assignment and close webhooks configured from those files', async () => {
    const w = await world({ withoutRefreshToken: true })
    await connectThroughBrowser(w)
    expect(w.hs.portal.appWebhookSettings?.targetUrl).toBe(w.driver.webhookUrl)
    expect([...w.hs.portal.subscriptions.values()].map((s) => `${s.eventType} ${s.propertyName ?? ''}`.trim())).toEqual(
      ['conversation.propertyChange assignedTo', 'conversation.propertyChange status', 'conversation.deletion']
    )
    await wholeSession(w)
    expect(w.hs.calls.filter((call) => call.path.startsWith('/webhooks/'))).toEqual([])
    expect(
      w.hs.deliveries.filter((d) => d.kind === 'app').every((d) => d.url === w.driver.webhookUrl && d.status === 200)
    ).toBe(true)
  })

  it('[project-app] register says it found a project app and what the project files must hold, and never calls the webhook settings API', async () => {
    const w = await world({ register: false })
    const capture = captureOutput()
    try {
      await w.driver.register()
    } finally {
      capture.stop()
    }
    const log = capture.lines.join('\n')
    expect(log).toContain('HubSpot app kind: project app')
    expect(log).toContain(`src/app/webhooks/webhooks-hsmeta.json must set settings.targetUrl to ${w.driver.webhookUrl}`)
    expect(log).toContain(
      'conversation.propertyChange assignedTo, conversation.propertyChange status, conversation.deletion'
    )
    expect(log).toContain(`${w.driver.webhookUrl}/oauth/callback in auth.redirectUrls`)
    expect(w.hs.calls.filter((call) => call.path.startsWith('/webhooks/'))).toEqual([])
  })

  it('[project-app] an upload check that refuses a file names the file, the field and why (hub.md: run hs project validate and read its message)', async () => {
    const w = await world({ register: false, uploadProject: false })
    w.hs.settings.projectConversationSection = 'legacyCrmObjects'
    const files = Object.fromEntries((await servedProject(w)).files.map((file) => [file.path, file.content]))
    let refusal: unknown
    try {
      w.hs.uploadProject(files)
    } catch (error) {
      refusal = error
    }
    expect(refusal).toBeInstanceOf(ProjectUploadError)
    expect((refusal as ProjectUploadError).problems[0]).toContain(
      'src/app/webhooks/webhooks-hsmeta.json: config.subscriptions.hubEvents[0].subscriptionType: conversation.propertyChange is not allowed in hubEvents'
    )
    expect(w.hs.portal.subscriptions.size).toBe(0)
  })

  it('[project-app] npm run hubspot-project writes the same project for a given webhook URL', () => {
    const out = mkdtempSync(join(tmpdir(), 'hubspot-project-'))
    const webhookUrl = 'https://webhook.botpress.cloud/0a1b2c3d-4e5f-6789-abcd-ef0123456789'
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '..', '..', 'scripts', 'hubspot-project.ts'), webhookUrl, '--out', out],
      { encoding: 'utf8' }
    )
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('hs project upload')
    for (const file of projectFiles(webhookUrl)) expect(readFileSync(join(out, file.path), 'utf8')).toBe(file.content)
    const missing = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '..', '..', 'scripts', 'hubspot-project.ts')],
      { encoding: 'utf8' }
    )
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('Usage: npm run hubspot-project -- <webhook URL>')
  })
})

describe('[oauth-2026] OAuth on /oauth/2026-03/', () => {
  it('[oauth-2026] the code exchange, refreshes and introspection use /oauth/2026-03/ with form bodies; no token ever travels in a URL', async () => {
    const w = await world({ withoutRefreshToken: true })
    await connectThroughBrowser(w)
    await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    const oauthCalls = w.hs.calls.filter((call) => call.path.startsWith('/oauth/') && call.path !== '/oauth/authorize')
    expect(new Set(oauthCalls.map((call) => `${call.method} ${call.path}`))).toEqual(
      new Set(['POST /oauth/2026-03/token', 'POST /oauth/2026-03/token/introspect'])
    )
    const secrets = [...w.hs.portal.tokens.access.keys(), ...w.hs.portal.tokens.refresh.keys()]
    expect(w.hs.calls.filter((call) => secrets.some((secret) => call.path.includes(secret)))).toEqual([])
  })

  it('[oauth-2026] a refresh token HubSpot rotates replaces the stored one, and a later process uses the new one', async () => {
    const w = await world({ register: false })
    w.hs.settings.refreshTokenRotation = true
    const configured = w.hs.refreshToken
    await w.driver.register()
    const oauth = () =>
      w.bp.store.findState('integration', w.driver.integrationId, 'oauth')?.payload as {
        refreshToken?: string
        rotatedFrom?: string
      }
    const rotated = oauth().refreshToken
    expect(rotated).toBeTruthy()
    expect(rotated).not.toBe(configured)
    expect(w.hs.portal.tokens.refresh.get(configured)?.revoked).toBe(true)

    // Another process: nothing in memory, every access token expired. It refreshes with the rotated token.
    TokenManager.forget('')
    w.hs.faults.expireAccessTokens()
    const session = await w.bot.escalate({ customer: { name: 'Jane Doe', email: 'jane.doe@example.com' } })
    expect(threadOf(w, session)).toBeTruthy()
    expect(oauth().refreshToken).not.toBe(rotated)
    expect(w.hs.portal.tokens.refresh.get(oauth().refreshToken!)?.revoked).toBe(false)
  })

  it('[oauth-2026] uninstalling revokes the refresh token; connecting again revokes the token it replaces', async () => {
    const w = await world({ withoutRefreshToken: true })
    await connectThroughBrowser(w)
    const first = (
      w.bp.store.findState('integration', w.driver.integrationId, 'oauth')?.payload as { refreshToken: string }
    ).refreshToken
    await connectThroughBrowser(w)
    const second = (
      w.bp.store.findState('integration', w.driver.integrationId, 'oauth')?.payload as { refreshToken: string }
    ).refreshToken
    expect(second).not.toBe(first)
    expect(w.hs.portal.tokens.refresh.get(first)?.revoked).toBe(true)
    expect(w.hs.portal.tokens.refresh.get(second)?.revoked).toBe(false)

    await w.driver.unregister()
    expect(w.hs.portal.tokens.refresh.get(second)?.revoked).toBe(true)
    expect(w.hs.calls.filter((call) => call.path === '/oauth/2026-03/token/revoke').map((call) => call.status)).toEqual(
      [200, 200]
    )
  })
})

describe('[dated-api] dated API versions', () => {
  it('[dated-api] a whole session makes no request to a legacy path where a dated one exists', async () => {
    const w = await world()
    await wholeSession(w)
    expect(legacyCalls(w)).toEqual([])
    expect(w.hs.calls.some((call) => call.path.startsWith('/conversations/custom-channels/2026-03/'))).toBe(true)
    expect(w.hs.calls.some((call) => call.path.startsWith('/crm/objects/2026-03/contacts'))).toBe(true)
    expect(w.hs.calls.some((call) => call.path.startsWith('/files/2026-03/files'))).toBe(true)
    expect(w.hs.calls.some((call) => call.path.startsWith('/conversations/v3/conversations/'))).toBe(true)
  })

  it('[dated-api] switching the conversations version moves every threads, actors and inboxes call to it', async () => {
    setEnv({ HUBSPOT_CONVERSATIONS_API_VERSION: '2026-09-beta' })
    const w = await world()
    await wholeSession(w)
    const conversationCalls = w.hs.calls.filter((call) => /\/(threads|actors|inboxes)/.test(call.path))
    expect(conversationCalls.length).toBeGreaterThan(3)
    expect(conversationCalls.every((call) => call.path.startsWith('/conversations/conversations/2026-09-beta/'))).toBe(
      true
    )
    expect(legacyCalls(w)).toEqual([])
  })
})

describe('[legacy-app] existing installations on a legacy public app', () => {
  it('[legacy-app] an installation an earlier version set up keeps working: recognised as legacy, webhooks set by API per property, no second channel', async () => {
    const w = await world({ hubspot: { appKind: 'legacy' }, configuration: { appKind: 'legacy' } })
    const firstChannel = [...w.hs.portal.channels.values()][0]!.id
    // What an earlier version left: the same setup, without the app kind it did not know of.
    const { Client } = await import('@botpress/client')
    const client = new Client({
      apiUrl: w.bp.url,
      token: w.bp.token,
      botId: w.driver.botId,
      integrationId: w.driver.integrationId,
    })
    const { state } = await client.getState({ type: 'integration', id: w.driver.integrationId, name: 'setup' })
    const { appKind: _kind, ...earlier } = state.payload as Record<string, unknown>
    await client.setState({ type: 'integration', id: w.driver.integrationId, name: 'setup', payload: earlier })
    forgetSetup(w.driver.integrationId) // the upgrade runs in a new process
    w.hs.portal.subscriptions.clear()

    // The configuration of an earlier version has no app kind either.
    delete (w.driver.configuration as Record<string, unknown>).appKind
    const capture = captureOutput()
    try {
      await w.driver.register()
    } finally {
      capture.stop()
    }
    expect(capture.lines.join('\n')).toContain(
      'HubSpot app kind: legacy public app (this installation was set up by an earlier version'
    )
    expect([...w.hs.portal.channels.values()].filter((c) => !c.archived).map((c) => c.id)).toEqual([firstChannel])
    expect([...w.hs.portal.subscriptions.values()].map((s) => `${s.eventType} ${s.propertyName ?? ''}`.trim())).toEqual(
      ['conversation.propertyChange assignedTo', 'conversation.propertyChange status', 'conversation.deletion']
    )
    expect(
      w.hs.calls
        .filter((call) => call.path.startsWith('/webhooks/'))
        .every((call) => call.path.startsWith('/webhooks/2026-03/'))
    ).toBe(true)
    await wholeSession(w)
  })

  it('[legacy-app] subscriptions an admin made by hand are recognised: no duplicate, an inactive one is switched on, no false warning', async () => {
    const w = await world({ hubspot: { appKind: 'legacy' }, register: false })
    w.hs.setAppWebhookTarget(w.driver.webhookUrl, [
      { eventType: 'conversation.propertyChange' },
      { eventType: 'conversation.deletion' },
    ])
    const deletion = [...w.hs.portal.subscriptions.values()].find((s) => s.eventType === 'conversation.deletion')!
    deletion.active = false
    const capture = captureOutput()
    try {
      await w.driver.register()
      await w.driver.register()
    } finally {
      capture.stop()
    }
    expect(capture.lines.join('\n')).not.toContain("Could not configure the HubSpot app's webhooks")
    expect(
      [...w.hs.portal.subscriptions.values()].map((s) => `${s.eventType} ${s.propertyName ?? '*'} ${s.active}`)
    ).toEqual(['conversation.propertyChange * true', 'conversation.deletion * true'])
  })
})

describe('[sunset] after the OAuth v1 removal (stand-in dated 2027-03-01)', () => {
  it('[sunset] install, connect, escalate, talk both ways, close, stop and uninstall', async () => {
    const w = await world({ hubspot: { today: '2027-03-01' }, withoutRefreshToken: true })
    const v1 = await fetch(`${w.hs.url}/oauth/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token',
    })
    expect(v1.status).toBe(404)
    await connectThroughBrowser(w)
    await wholeSession(w)
    const second = await w.bot.escalate({ customer: { name: 'John Smith', email: 'john.smith@example.com' } })
    await w.bot.end(second)
    expect(w.hs.portal.threads.get(threadOf(w, second))?.status).toBe('CLOSED')
    await w.driver.unregister()
    expect([...w.hs.portal.channels.values()].every((channel) => channel.archived)).toBe(true)
    expect(w.hs.calls.filter((call) => call.status >= 400 && call.status !== 404)).toEqual([])
    expect(legacyCalls(w)).toEqual(['POST /oauth/v1/token'])
  })
})
