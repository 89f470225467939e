import { afterEach, describe, expect, it } from 'vitest'
import { siblingsAmong } from '../../src/hitl/forwarding'

const previous = process.env.BP_WEBHOOK_URL
afterEach(() => {
  if (previous === undefined) delete process.env.BP_WEBHOOK_URL
  else process.env.BP_WEBHOOK_URL = previous
})

const channel = (id: string, webhookUrl?: string) => ({
  id,
  name: 'Botpress',
  capabilities: {},
  createdAt: '2026-12-01T00:00:00Z',
  ...(webhookUrl && { webhookUrl }),
})

describe('which channels of the app may be handed events', () => {
  it.each([
    { name: 'another installation', channels: [channel('2', 'https://webhook.botpress.cloud/other')], expected: ['2'] },
    {
      name: 'our own channel, by ID or by URL',
      channels: [
        channel('1', 'https://webhook.botpress.cloud/ours'),
        channel('3', 'https://webhook.botpress.cloud/ours'),
      ],
      expected: [],
    },
    {
      name: 'a channel leading outside Botpress',
      channels: [channel('4', 'https://attacker.example/hook'), channel('5', 'http://169.254.169.254/')],
      expected: [],
    },
    {
      name: 'a look-alike host',
      channels: [channel('6', 'https://webhook.botpress.cloud.attacker.example/x')],
      expected: [],
    },
    { name: 'a channel without a webhook URL', channels: [channel('7')], expected: [] },
    { name: 'the base URL itself', channels: [channel('8', 'https://webhook.botpress.cloud/')], expected: [] },
  ])('$name', ({ channels, expected }) => {
    process.env.BP_WEBHOOK_URL = 'https://webhook.botpress.cloud'
    expect(siblingsAmong(channels, '1', 'https://webhook.botpress.cloud/ours').map((s) => s.channelId)).toEqual(
      expected
    )
  })

  it('keeps at most ten', () => {
    process.env.BP_WEBHOOK_URL = 'https://webhook.botpress.cloud'
    const many = Array.from({ length: 15 }, (_, i) => channel(String(100 + i), `https://webhook.botpress.cloud/w${i}`))
    expect(siblingsAmong(many, '1', 'https://webhook.botpress.cloud/ours')).toHaveLength(10)
  })
})
