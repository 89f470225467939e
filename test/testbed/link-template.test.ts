// [one-click] The Botpress stand-in renders the Connect button's link from the integration's real
// linkTemplate.vrl, as Botpress does with the installation's webhook ID and webhook base URL.
import { describe, expect, it } from 'vitest'
import { connectLink, LinkTemplateError, renderLinkTemplate } from '../../testbed/botpress/link-template'

const installation = { webhookId: '0a1b2c3d-4e5f', webhookUrl: 'https://webhook.botpress.cloud' }

describe('[one-click] linkTemplate.vrl', () => {
  it('the real template leads to the OAuth start route, routed by the webhook ID as state', () => {
    expect(connectLink(installation)).toBe('https://webhook.botpress.cloud/oauth/start?state=0a1b2c3d-4e5f')
  })

  it('comments and blank lines are skipped; variables are read with to_string! and interpolated', () => {
    const script =
      '# a comment\n\nid = to_string!(.webhookId)\nbase = to_string!( .webhookUrl )\n"{{base}}/x/{{ id }}?q=\\"1\\""\n'
    expect(renderLinkTemplate(script, installation)).toBe('https://webhook.botpress.cloud/x/0a1b2c3d-4e5f?q="1"')
  })

  it.each([
    ['an unsupported statement', 'id = parse_json!(.webhookId)\n"{{ id }}"', /unsupported statement/],
    ['a missing field', 'id = to_string!(.env)\n"{{ id }}"', /\.env is null/],
    ['an undefined variable', 'id = to_string!(.webhookId)\n"{{ other }}"', /undefined variable other/],
    ['no template at the end', 'id = to_string!(.webhookId)', /must end with a string template/],
  ])('refuses %s', (_name, script, message) => {
    expect(() => renderLinkTemplate(script, installation)).toThrow(LinkTemplateError)
    expect(() => renderLinkTemplate(script, installation)).toThrow(message)
  })
})
