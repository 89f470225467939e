// bp_modules/hitl against the published hitl 2.0.0, field by field (shared/spec/botpress-runtime.md §4).
import { describe, expect, it } from 'vitest'
import { historyMessageSchema, hitlMessageSchemas, makeStartHitlInputSchema } from '../../bp_modules/hitl'
import { hitlSessionSchema } from '../../definitions'

type Shape = { shape: Record<string, { _def: { typeName: string } }> }
const keysOf = (schema: unknown) => Object.keys((schema as Shape).shape).sort()

const historyPayload = (type: string) => {
  const option = (historyMessageSchema as unknown as { options: Shape[] }).options.find(
    (o) => (o.shape.type as unknown as { value: string }).value === type
  )
  return option!.shape.payload as unknown as Shape
}

describe('[real-world] the hitl interface as bp add writes 2.0.0', () => {
  it.each([
    ['text', ['text', 'userId']],
    ['image', ['imageUrl', 'userId']],
    ['audio', ['audioUrl', 'userId']],
    ['video', ['userId', 'videoUrl']],
    ['file', ['fileUrl', 'title', 'userId']],
    ['bloc', ['items', 'userId']],
  ] as const)('the %s message has exactly %j', (type, keys) => {
    expect(keysOf(hitlMessageSchemas[type])).toEqual([...keys].sort())
  })

  it.each([
    ['image', ['imageUrl']],
    ['audio', ['audioUrl']],
    ['video', ['videoUrl']],
    ['file', ['fileUrl', 'title']],
  ] as const)('a %s history item has no title unless it is a file', (type, keys) => {
    expect(keysOf(historyPayload(type))).toEqual([...keys].sort())
  })

  it('a history bloc may hold a markdown item, and a real escalation with one is accepted', () => {
    const input = makeStartHitlInputSchema(hitlSessionSchema).safeParse({
      userId: 'user_1',
      messageHistory: [
        {
          source: { type: 'bot' },
          type: 'bloc',
          payload: {
            items: [
              { type: 'markdown', payload: { markdown: '**Order** 42' } },
              { type: 'text', payload: { text: 'Shipped' } },
            ],
          },
        },
        {
          source: { type: 'user', userId: 'user_1' },
          type: 'image',
          payload: { imageUrl: 'https://files.example/p.png' },
        },
      ],
    })
    expect(input.success).toBe(true)
  })
})
