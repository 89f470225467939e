import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { configurationSchema } from '../../definitions'
import { scopesFor } from '../../src/hitl/app-requirements'
import { projectFiles, TEMPLATE_WEBHOOK_URL } from '../../src/hitl/project-files'
import { resolveAppKind } from '../../src/hitl/setup/app-webhooks'
import { HubSpotApiError } from '../../src/hubspot/api-error'
import { classifyTokenError, fingerprint } from '../../src/hubspot/oauth'
import { currentRefreshToken } from '../../src/hubspot/token-manager'
import { API_VERSIONS, conversationsBase } from '../../src/hubspot/versions'

const config = (extra: Record<string, unknown> = {}) =>
  configurationSchema.parse({
    clientId: 'c',
    clientSecret: 's',
    appId: '1',
    developerApiKey: 'k',
    defaultInboxId: '1001',
    ...extra,
  })

describe('[project-app] the project template', () => {
  it('the template in hubspot-project/ is what the integration serves, for the placeholder URL', () => {
    for (const file of projectFiles(TEMPLATE_WEBHOOK_URL)) {
      expect(readFileSync(join(__dirname, '..', '..', 'hubspot-project', file.path), 'utf8')).toBe(file.content)
    }
  })

  it('each installation gets its own project name', () => {
    const name = (url: string) => JSON.parse(projectFiles(url)[0]!.content).name
    expect(name('https://webhook.botpress.cloud/a')).not.toBe(name('https://webhook.botpress.cloud/b'))
    expect(name('https://webhook.botpress.cloud/a')).toMatch(/^botpress-hitl-[0-9a-f]{8}$/)
  })
})

describe('[project-app] app kind and scopes', () => {
  it.each([
    ['configured', { appKind: 'legacy' }, undefined, 'legacy'],
    ['configured wins over the record', { appKind: 'project' }, { appKind: 'legacy' }, 'project'],
    ['recorded at the first setup', {}, { appKind: 'legacy' }, 'legacy'],
    ['set up by an earlier version', {}, {}, 'legacy'],
    ['a new installation', {}, undefined, 'project'],
  ] as const)('%s', (_name, extra, previous, expected) => {
    const setup = previous && { webhookUrl: 'u', channelId: '1', channelAccounts: {}, ...previous }
    expect(resolveAppKind({ config: config(extra) }, setup).kind).toBe(expected)
  })

  it('a project app asks for oauth and its required scopes, optional features as optional; a legacy app as before', () => {
    expect(scopesFor('project', config())).toEqual({
      scope: [
        'oauth',
        'conversations.custom_channels.read',
        'conversations.custom_channels.write',
        'conversations.read',
        'conversations.write',
        'crm.objects.contacts.read',
        'files',
      ],
      optionalScope: ['crm.objects.contacts.write', 'files.ui_hidden.read'],
    })
    expect(scopesFor('legacy', config()).scope).toContain('crm.objects.contacts.write')
    expect(scopesFor('legacy', config({ contactPolicy: 'anonymous' })).scope).not.toContain(
      'crm.objects.contacts.write'
    )
    expect(scopesFor('legacy', config()).optionalScope).toEqual([])
  })
})

describe('[oauth-2026] token errors in both shapes', () => {
  const error = (status: number, envelope: Record<string, string>) =>
    new HubSpotApiError(status, 'POST', '/oauth/2026-03/token', envelope, 'failed')
  it.each([
    [
      'RFC 6749 invalid_grant',
      400,
      { error: 'invalid_grant', error_description: 'missing or invalid refresh token' },
      'refresh_token',
      'refresh-token-rejected',
    ],
    [
      'legacy BAD_REFRESH_TOKEN',
      400,
      { status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token' },
      'refresh_token',
      'refresh-token-rejected',
    ],
    [
      'both shapes at once',
      400,
      { status: 'BAD_REFRESH_TOKEN', message: 'x', error: 'invalid_grant', error_description: 'y' },
      'refresh_token',
      'refresh-token-rejected',
    ],
    [
      'RFC 6749 invalid_client',
      401,
      { error: 'invalid_client', error_description: 'bad client' },
      'refresh_token',
      'app-credentials-rejected',
    ],
    [
      'legacy BAD_CLIENT_ID',
      400,
      { status: 'BAD_CLIENT_ID', message: 'missing or invalid client id' },
      'refresh_token',
      'app-credentials-rejected',
    ],
    [
      'a used code, RFC shape',
      400,
      { error: 'invalid_grant', error_description: 'code already used' },
      'authorization_code',
      'authorization-code-rejected',
    ],
    [
      'a used code, legacy shape',
      400,
      { status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code' },
      'authorization_code',
      'authorization-code-rejected',
    ],
    ['a server error is not a refusal', 503, { status: 'error', message: 'refresh later' }, 'refresh_token', undefined],
  ] as const)('%s', (_name, status, envelope, grant, problem) => {
    expect(classifyTokenError(error(status, envelope), grant)?.problem).toBe(problem)
  })

  it('the configured refresh token is used until HubSpot rotates it; then its successor from the store', () => {
    expect(currentRefreshToken('R1', undefined)).toBe('R1')
    expect(currentRefreshToken('R1', { refreshToken: 'connect-page' })).toBe('R1')
    expect(currentRefreshToken('R1', { refreshToken: 'R2', rotatedFrom: fingerprint('R1') })).toBe('R2')
    expect(currentRefreshToken('R9', { refreshToken: 'R2', rotatedFrom: fingerprint('R1') })).toBe('R9')
    expect(currentRefreshToken(undefined, { refreshToken: 'connect-page' })).toBe('connect-page')
  })
})

describe('[dated-api] versions', () => {
  it('each family has one version; conversations switch between v3 and dated paths', () => {
    expect(API_VERSIONS).toMatchObject({
      oauth: '2026-03',
      customChannels: '2026-03',
      crmObjects: '2026-03',
      files: '2026-03',
      conversations: 'v3',
    })
    expect(conversationsBase('v3')).toBe('/conversations/v3/conversations')
    expect(conversationsBase('2026-09-beta')).toBe('/conversations/conversations/2026-09-beta')
  })
})
