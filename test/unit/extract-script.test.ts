// The Botpress stand-in runs a port of extract.vrl on its global route: the script and the port
// stay in step (each line of the script is quoted in the port), and the port reads what HubSpot sends.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { extractIdentifier } from '../../testbed/botpress/extract'

const root = join(__dirname, '..', '..')

describe('[publisher-routing] extract.vrl and its port', () => {
  it('every statement of extract.vrl is quoted in the port', () => {
    const script = readFileSync(join(root, 'extract.vrl'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
    const port = readFileSync(join(root, 'testbed', 'botpress', 'extract.ts'), 'utf8')
    for (const line of script) expect(port).toContain(`//   ${line}`)
  })

  it.each([
    [
      'an app webhook batch',
      JSON.stringify([{ portalId: 12345, subscriptionType: 'conversation.propertyChange' }, { portalId: 12345 }]),
      '12345',
    ],
    ['a single event', JSON.stringify({ portalId: 777 }), '777'],
    ['a batch without portalId', JSON.stringify([{ subscriptionType: 'x' }]), ''],
  ])('%s', (_name, body, identifier) => {
    expect(extractIdentifier({ body })).toBe(identifier)
  })

  it('a body that is not JSON fails the script', () => {
    expect(() => extractIdentifier({ body: 'portalId=1' })).toThrow(/parse_json/)
  })

  it('linkTemplate.vrl leads to the OAuth route with the webhook ID as state', () => {
    const template = readFileSync(join(root, 'linkTemplate.vrl'), 'utf8')
    expect(template).toContain('"{{ base }}/oauth/start?state={{ installation }}"')
  })
})
