// The identifier scripts as Botpress runs them: extract.vrl and linkTemplate.vrl are run by
// @bpinternal/verel (Botpress's VRL for JavaScript), and the Botpress stand-in's port of extract.vrl
// must give the same answers (each line of the script is quoted in the port).
import { execute } from '@bpinternal/verel'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { extractIdentifier } from '../../testbed/botpress/extract'

const root = join(__dirname, '..', '..')
const extractScript = readFileSync(join(root, 'extract.vrl'), 'utf8')
const linkTemplate = readFileSync(join(root, 'linkTemplate.vrl'), 'utf8')

const runVrl = (script: string, event: Record<string, unknown>): unknown => execute(script, event).result

describe('[publisher-routing] extract.vrl, run by VRL, and its port', () => {
  it('every statement of extract.vrl is quoted in the port', () => {
    const statements = extractScript
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
    const port = readFileSync(join(root, 'testbed', 'botpress', 'extract.ts'), 'utf8')
    for (const line of statements) expect(port).toContain(`//   ${line}`)
  })

  it.each([
    [
      'an app webhook batch',
      JSON.stringify([{ portalId: 12345, subscriptionType: 'conversation.propertyChange' }, { portalId: 12345 }]),
      '12345',
    ],
    ['a single event', JSON.stringify({ portalId: 777 }), '777'],
    ['a portalId written as a string', JSON.stringify([{ portalId: '4242' }]), '4242'],
    ['a batch without portalId', JSON.stringify([{ subscriptionType: 'x' }]), null],
    ['an empty batch', '[]', null],
  ])('%s: the script and the port agree', (_name, body, identifier) => {
    expect(runVrl(extractScript, { body })).toBe(identifier)
    expect(extractIdentifier({ body })).toBe(identifier)
  })

  it('a body that is not JSON fails the script and the port', () => {
    expect(() => runVrl(extractScript, { body: 'portalId=1' })).toThrow(/parse_json/)
    expect(() => extractIdentifier({ body: 'portalId=1' })).toThrow(/parse_json/)
  })
})

describe('[one-click] linkTemplate.vrl, run by VRL', () => {
  it("leads to the integration's /oauth/start on Botpress's OAuth route, with the webhook ID as state", () => {
    const link = runVrl(linkTemplate, {
      webhookId: '0a1b2c3d-4e5f',
      webhookUrl: 'https://webhook.botpress.cloud',
      env: 'production',
    })
    expect(link).toBe('https://webhook.botpress.cloud/oauth/start?state=0a1b2c3d-4e5f')
  })
})
