import { describe, expect, it } from 'vitest'
import {
  agentMessageParts,
  classifyAttachment,
  htmlToText,
  partToBotpress,
  splitText,
  toHubSpotContent,
  transcriptMessages,
} from '../../src/hitl/messages'
import { messageSchema } from '../../src/hubspot/schemas'
import { catalogue } from '../../src/i18n'

const texts = catalogue.en

describe('Botpress → HubSpot', () => {
  it.each([
    ['text', { text: 'Hello' }, { text: 'Hello', files: [] }],
    ['markdown', { markdown: '**Hi**' }, { text: '**Hi**', files: [] }],
    [
      'image',
      { imageUrl: 'https://files.test/a/cat.png' },
      { text: '', files: [{ url: 'https://files.test/a/cat.png', name: 'cat.png', usage: 'IMAGE' }] },
    ],
    [
      'audio',
      { audioUrl: 'https://files.test/v.ogg' },
      { text: '', files: [{ url: 'https://files.test/v.ogg', name: 'v.ogg', usage: 'AUDIO' }] },
    ],
    [
      'video',
      { videoUrl: 'https://files.test/m.mp4', title: 'Demo' },
      { text: 'Demo', files: [{ url: 'https://files.test/m.mp4', name: 'Demo', usage: 'OTHER' }] },
    ],
    [
      'file',
      { fileUrl: 'https://files.test/invoice.pdf', title: 'invoice.pdf' },
      { text: 'invoice.pdf', files: [{ url: 'https://files.test/invoice.pdf', name: 'invoice.pdf', usage: 'OTHER' }] },
    ],
  ])('%s', (type, payload, expected) => {
    expect(toHubSpotContent({ type, payload }, texts)).toEqual(expected)
  })

  it('turns a bloc into one message: texts joined, media attached, location as a link', () => {
    const content = toHubSpotContent(
      {
        type: 'bloc',
        payload: {
          items: [
            { type: 'text', payload: { text: 'Here is my receipt' } },
            { type: 'image', payload: { imageUrl: 'https://files.test/r.jpg' } },
            { type: 'markdown', payload: { markdown: '_thanks_' } },
            { type: 'location', payload: { latitude: 45.5, longitude: -73.6, address: '1 Main St' } },
          ],
        },
      },
      texts
    )
    expect(content.text).toBe(
      'Here is my receipt\n\n_thanks_\n\nLocation: 1 Main St (https://www.openstreetmap.org/?mlat=45.5&mlon=-73.6)'
    )
    expect(content.files).toEqual([{ url: 'https://files.test/r.jpg', name: 'r.jpg', usage: 'IMAGE' }])
  })

  it('renders choices, cards and carousels of the history as readable text', () => {
    expect(
      toHubSpotContent(
        {
          type: 'choice',
          payload: {
            text: 'Pick one',
            options: [
              { label: 'A', value: 'a' },
              { label: 'B', value: 'b' },
            ],
          },
        },
        texts
      ).text
    ).toBe('Pick one\nOptions offered: A | B')
    const carousel = toHubSpotContent(
      {
        type: 'carousel',
        payload: {
          items: [
            { title: 'Plan S', actions: [{ label: 'Buy', action: 'postback', value: 's' }] },
            { title: 'Plan M', imageUrl: 'https://x.test/m.png', actions: [] },
          ],
        },
      },
      texts
    )
    expect(carousel.text).toBe('Plan S\nButtons: Buy\n\nPlan M')
    expect(carousel.files).toHaveLength(1)
  })

  it('speaks French when configured', () => {
    expect(toHubSpotContent({ type: 'location', payload: { latitude: 1, longitude: 2 } }, catalogue.fr).text).toMatch(
      /^Position : 1, 2/
    )
  })

  it('says what it cannot show instead of dropping it', () => {
    expect(toHubSpotContent({ type: 'hologram', payload: {} }, texts).text).toBe(
      '(A hologram message that cannot be shown here.)'
    )
  })
})

describe('splitText', () => {
  it('keeps short texts whole', () => expect(splitText('short', 10)).toEqual(['short']))
  it('splits long texts at spaces, losing nothing', () => {
    const text = 'word '.repeat(30).trim()
    const chunks = splitText(text, 20)
    expect(chunks.every((c) => c.length <= 20)).toBe(true)
    expect(chunks.join(' ')).toBe(text)
  })
  it('cuts a text without spaces at the limit', () =>
    expect(splitText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]))
})

describe('HubSpot → Botpress', () => {
  const base = {
    id: 'm1',
    type: 'MESSAGE',
    conversationsThreadId: '7',
    createdAt: '2026-01-01T00:00:00.000Z',
    direction: 'OUTGOING',
    senders: [{ actorId: 'A-1', name: 'Ann' }],
  }

  it.each([
    [{ fileUsageType: 'IMAGE', name: 'x.bin' }, 'image'],
    [{ fileUsageType: 'STICKER' }, 'image'],
    [{ fileUsageType: 'AUDIO' }, 'audio'],
    [{ fileUsageType: 'VOICE_RECORDING' }, 'audio'],
    [{ fileUsageType: 'OTHER', name: 'clip.MP4' }, 'video'],
    [{ fileUsageType: 'OTHER', name: 'photo.jpeg' }, 'image'],
    [{ fileUsageType: 'OTHER', name: 'report.pdf' }, 'file'],
  ])('classifies %o as %s', (attachment, expected) => {
    expect(classifyAttachment({ type: 'FILE', ...attachment })).toBe(expected)
  })

  it('splits a reply into its text and each attachment, in order', () => {
    const message = messageSchema.parse({
      ...base,
      text: 'See attached',
      attachments: [
        { type: 'FILE', fileId: '1', fileUsageType: 'IMAGE', name: 'a.png', url: 'https://h.test/a.png' },
        { type: 'FILE', fileId: '2', fileUsageType: 'OTHER', name: 'b.pdf', url: 'https://h.test/b.pdf' },
        { type: 'FILE', fileId: '3', fileUsageType: 'OTHER', name: 'nourl.pdf' },
      ],
    })
    const parts = agentMessageParts(message)
    expect(parts.map((p) => (p.kind === 'media' ? p.as : p.kind))).toEqual(['text', 'image', 'file'])
    expect(
      parts.map((p) =>
        partToBotpress(p, texts, p.kind === 'media' ? { url: `https://bp.test/${p.attachment.fileId}` } : undefined)
      )
    ).toEqual([
      { type: 'text', payload: { text: 'See attached' } },
      // Every file carries its name, an image too: the customer sees "a.png", not "image".
      { type: 'image', payload: { imageUrl: 'https://bp.test/1', title: 'a.png' } },
      { type: 'file', payload: { fileUrl: 'https://bp.test/2', title: 'b.pdf' } },
    ])
  })

  it('falls back to the rich text when the plain text is empty', () => {
    const message = messageSchema.parse({
      ...base,
      text: '',
      richText: '<p>Hello &amp; <b>welcome</b></p><p>Line 2<br>Line 3</p>',
    })
    expect(agentMessageParts(message)).toEqual([{ kind: 'text', text: 'Hello & welcome\nLine 2\nLine 3' }])
  })

  it('yields nothing for an empty reply', () => {
    expect(agentMessageParts(messageSchema.parse({ ...base, text: '   ' }))).toEqual([])
  })

  it('strips tags and decodes entities', () => expect(htmlToText('<div>a&lt;b</div>')).toBe('a<b'))
})

describe('transcriptMessages', () => {
  const file = (name: string) => ({ url: `https://files.test/${name}`, name, usage: 'OTHER' as const })
  const line = (label: string, text: string, files: string[] = []) => ({
    label,
    content: { text, files: files.map(file) },
  })
  const shape = (messages: ReturnType<typeof transcriptMessages>) =>
    messages.map((m) => `${m.text}${m.files.map((f) => ` [${f.name}]`).join('')}`)
  const build = (lines: ReturnType<typeof line>[], max?: number) =>
    transcriptMessages({ header: 'H', lines, end: 'E', attached: (name) => `(${name})` }, max)

  it.each<[string, ReturnType<typeof line>[], string[]]>([
    [
      'one message for a text history, in order, each line labelled',
      [line('Jane', 'Hello'), line('Bot', 'Hi!'), line('Bot', 'How can I help?'), line('Jane', 'Refund')],
      ['H\n\nJane: Hello\nBot: Hi!\nBot: How can I help?\nJane: Refund\n\nE'],
    ],
    [
      'a line with a file closes its message, the file attached',
      [line('Jane', 'look', ['a.jpg']), line('Bot', 'Thanks')],
      ['H\n\nJane: look (a.jpg) [a.jpg]', 'Bot: Thanks\n\nE'],
    ],
    [
      'each further file of a line goes alone',
      [line('Jane', '', ['a.jpg', 'b.pdf'])],
      ['H\n\nJane: (a.jpg) (b.pdf) [a.jpg]', ' [b.pdf]', 'E'],
    ],
    ['no history: the header alone', [], ['H\n\nE']],
  ])('%s', (_name, lines, expected) => {
    expect(shape(build(lines))).toEqual(expected)
  })

  it('goes on in the next message at the text limit, every line whole and in order', () => {
    const lines = Array.from({ length: 30 }, (_, i) => line(i % 2 ? 'Bot' : 'Jane', `message ${i} `.repeat(10)))
    const messages = build(lines, 500)
    expect(messages.every((m) => m.text.length <= 500)).toBe(true)
    expect(messages.length).toBeGreaterThan(1)
    const all = messages.map((m) => m.text).join('\n')
    const positions = lines.map((l) => all.indexOf(`${l.label}: ${l.content.text}`))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
  })

  it('splits one line longer than the limit', () => {
    const messages = build([line('Jane', 'x'.repeat(1200))], 500)
    expect(messages.every((m) => m.text.length <= 500)).toBe(true)
    expect(
      messages
        .map((m) => m.text)
        .join('')
        .replace(/[^x]/g, '')
    ).toHaveLength(1200)
  })
})

describe('[language] every language of the catalogue', () => {
  it.each(Object.entries(catalogue))('%s has its own texts for the agent', (language, texts) => {
    const header = texts.handoverHeader({ title: 'T', description: 'D', messageCount: 2 })
    expect(header).toContain('T')
    expect(header).toContain('D')
    if (language !== 'en') {
      expect(header).not.toBe(catalogue.en.handoverHeader({ title: 'T', description: 'D', messageCount: 2 }))
      expect(texts.sessionEnded).not.toBe(catalogue.en.sessionEnded)
      expect(texts.notice('x')).not.toBe(catalogue.en.notice('x'))
    }
  })
})
