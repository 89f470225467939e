import { describe, expect, it } from 'vitest'
import { parseCustomerIdentifier, splitName } from '../../src/hitl/identity'

describe('[contact] customer identifier in the email field', () => {
  it.each([
    ['jane@example.com', undefined, { kind: 'email', email: 'jane@example.com' }],
    ['  Jane.Doe@Example.COM ', undefined, { kind: 'email', email: 'jane.doe@example.com' }],
    ['mailto:jo@example.org', undefined, { kind: 'email', email: 'jo@example.org' }],
    ['user_123@no-reply.bot_456.botpress.com', undefined, { kind: 'none', reason: 'placeholder' }],
    ['abc@noreply.botpress.cloud', undefined, { kind: 'none', reason: 'placeholder' }],
    ['+1 514-555-0100', undefined, { kind: 'phone', e164: '+15145550100', national: '5145550100' }],
    ['+15145550100', undefined, { kind: 'phone', e164: '+15145550100', national: '5145550100' }],
    ['(514) 555-0100', 'US', { kind: 'phone', e164: '+15145550100', national: '5145550100' }],
    ['06 12 34 56 78', 'FR', { kind: 'phone', e164: '+33612345678', national: '612345678' }],
    ['+33 6 12 34 56 78', undefined, { kind: 'phone', e164: '+33612345678', national: '612345678' }],
    ['06 12 34 56 78', undefined, { kind: 'none', reason: 'unrecognised' }],
    ['not an address', undefined, { kind: 'none', reason: 'unrecognised' }],
    ['broken@', undefined, { kind: 'none', reason: 'unrecognised' }],
    ['', undefined, { kind: 'none', reason: 'absent' }],
    [undefined, undefined, { kind: 'none', reason: 'absent' }],
  ])('%j (country %s)', (raw, country, expected) => {
    expect(parseCustomerIdentifier(raw, country)).toEqual(expected)
  })
})

describe('[contact] names', () => {
  it.each([
    ['Jane', { firstname: 'Jane' }],
    ['Jane Doe', { firstname: 'Jane', lastname: 'Doe' }],
    ['Mary Ann  van Dyke', { firstname: 'Mary Ann van', lastname: 'Dyke' }],
    ['   ', {}],
  ])('%j', (name, expected) => expect(splitName(name)).toEqual(expected))
})
