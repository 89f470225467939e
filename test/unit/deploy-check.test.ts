// The check `npm run deploy-check` makes on what `bp deploy --dryRun` uploads.
import { describe, expect, it } from 'vitest'
import { checkDeployPayload, type ExpectedFiles } from '../../testbed/deploy-check/check'

const files: ExpectedFiles = {
  linkTemplateScript: '"{{ base }}/oauth/start"\n',
  extractScript: 'to_string!(.portalId)\n',
  readme: '# HubSpot Inbox HITL\n',
  icon: '<svg/>',
}
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

const complete = () => ({
  name: 'handle/hubspot-inbox-hitl',
  version: '2.0.0',
  configuration: {
    schema: { type: 'object', properties: { defaultInboxId: {}, language: {} } },
    identifier: { linkTemplateScript: files.linkTemplateScript },
  },
  configurations: {
    manual: {
      schema: { type: 'object', properties: { clientId: {}, clientSecret: {}, appId: {}, developerApiKey: {} } },
      identifier: {},
    },
  },
  identifier: { extractScript: files.extractScript },
  secrets: { CLIENT_ID: 'x', CLIENT_SECRET: 'x', APP_ID: 'x', DEVELOPER_API_KEY: 'x' },
  interfaces: { 'hitl<hitlSession>': { id: 'ifver_1', name: 'hitl', version: '2.0.0' } },
  readme: base64(files.readme),
  icon: base64(files.icon),
})

describe('deploy-check payload', () => {
  it('a complete definition passes', () => {
    expect(checkDeployPayload(complete(), files)).toEqual([])
  })

  it('names each missing part', () => {
    const { configurations: _configurations, identifier: _identifier, interfaces: _interfaces, ...rest } = complete()
    expect(checkDeployPayload({ ...rest, secrets: { CLIENT_ID: 'x' }, readme: base64('other') }, files)).toEqual([
      'configurations.manual is missing',
      'identifier.extractScript is not extract.vrl',
      'secrets missing: CLIENT_SECRET, APP_ID, DEVELOPER_API_KEY',
      'the hitl interface is missing',
      'the readme is not hub.md',
    ])
  })

  it('the default configuration must carry the Connect script and require no app credentials (1.x fields may stay optional); the icon must be icon.svg', () => {
    const payload = {
      ...complete(),
      configuration: {
        schema: {
          type: 'object',
          properties: { defaultInboxId: {}, clientId: {}, clientSecret: {} },
          required: ['clientSecret'],
        },
        identifier: { linkTemplateScript: 'other' },
      },
    }
    expect(checkDeployPayload({ ...payload, icon: undefined }, files)).toEqual([
      "the default configuration's identifier.linkTemplateScript is not linkTemplate.vrl",
      'the default configuration requires app credentials: clientSecret',
      'the icon is not icon.svg',
    ])
    expect(checkDeployPayload({ ...payload, configuration: undefined }, files)).toContain(
      'the default (one-click) configuration is missing'
    )
  })

  it('something that is not a definition is reported, not thrown', () => {
    expect(checkDeployPayload('nope', files)[0]).toContain('unexpected shape')
  })
})
