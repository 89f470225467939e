// The rules `bp lint` enforces (errors and warnings), checked on the definition as deployed,
// including what comes from the hitl interface, which the real lint does not look at.
import { describe, expect, it } from 'vitest'
import definition from '../../integration.definition'

type Schema = {
  description?: string
  getMetadata?: () => { title?: string; secret?: boolean; hidden?: boolean }
  shape?: Record<string, Schema>
  _def?: { shape?: () => Record<string, Schema> }
}

const fieldsOf = (schema: unknown): Record<string, Schema> => {
  const s = schema as Schema & { _def: { schema?: Schema; innerType?: Schema } }
  if (s.shape) return s.shape
  if (s._def?.shape) return s._def.shape()
  if (s._def?.innerType) return fieldsOf(s._def.innerType)
  return {}
}
const titleOf = (field: Schema) => field.getMetadata?.().title

const problemsOfFields = (where: string, schema: unknown): string[] =>
  Object.entries(fieldsOf(schema)).flatMap(([name, field]) => [
    ...(field.description ? [] : [`${where}.${name} has no description`]),
    ...(titleOf(field) ? [] : [`${where}.${name} has no title`]),
  ])

const missing = (where: string, value: { title?: string; description?: string }) => [
  ...(value.title ? [] : [`${where} has no title`]),
  ...(value.description ? [] : [`${where} has no description`]),
]

describe('definition passes the bp lint rules', () => {
  it('integration metadata', () => {
    expect(definition.title).toBeTruthy()
    expect(definition.description).toBeTruthy()
    expect(definition.icon).toBe('icon.svg')
    expect(definition.readme).toBe('hub.md')
  })

  it('configuration fields are titled, described, and secrets hidden', () => {
    expect(problemsOfFields('configuration', definition.configuration?.schema)).toEqual([])
    // One-click shows no HubSpot credential; the manual configuration holds them, hidden. The default
    // configuration accepts a 1.x installation's fields (carried over by the upgrade), hidden from the form.
    const oneClickFields = Object.entries(fieldsOf(definition.configuration?.schema))
    expect(
      oneClickFields
        .filter(([name, field]) => /secret|key|token|client/i.test(name) && field.getMetadata?.().hidden !== true)
        .map(([name]) => name)
    ).toEqual([])
    expect(oneClickFields.filter(([, field]) => field.getMetadata?.().hidden === true).map(([name]) => name)).toEqual([
      'clientId',
      'clientSecret',
      'appId',
      'developerApiKey',
      'appKind',
      'refreshToken',
    ])
    expect(definition.configuration?.identifier?.linkTemplateScript).toBe('linkTemplate.vrl')
    expect(definition.identifier?.extractScript).toBe('extract.vrl')
    const manual = definition.configurations?.manual
    expect(manual?.title && manual.description).toBeTruthy()
    expect(problemsOfFields('configurations.manual', manual?.schema)).toEqual([])
    // Described, and optional: bp deploy refuses to deploy without a required secret, and a
    // deployment without them still serves the manual configuration.
    expect(
      Object.entries(definition.secrets ?? {}).map(([name, secret]) => [name, !!secret.description, secret.optional])
    ).toEqual([
      ['CLIENT_ID', true, true],
      ['CLIENT_SECRET', true, true],
      ['APP_ID', true, true],
      ['DEVELOPER_API_KEY', true, true],
    ])
    const fields = fieldsOf(manual?.schema)
    for (const secret of ['clientSecret', 'developerApiKey', 'refreshToken']) {
      expect(fields[secret]?.getMetadata?.().secret, secret).toBe(true)
    }
  })

  it('actions, their inputs and outputs', () => {
    const problems = Object.entries(definition.actions ?? {}).flatMap(([name, action]) => [
      ...missing(`action ${name}`, action),
      ...problemsOfFields(`action ${name} input`, action.input.schema),
      ...problemsOfFields(`action ${name} output`, action.output.schema),
    ])
    // When extending an interface the SDK swaps the entity reference for our entity schema and drops
    // the wrapper's title and description; bp lint does not check interface fields. The entity's own
    // fields are checked below.
    expect(problems.filter((p) => !p.startsWith('action startHitl input.hitlSession '))).toEqual([])
  })

  it('events and their fields', () => {
    const problems = Object.entries(definition.events ?? {}).flatMap(([name, event]) => [
      ...missing(`event ${name}`, event),
      ...problemsOfFields(`event ${name}`, event.schema),
    ])
    expect(problems).toEqual([])
  })

  it('channels, their messages and tags', () => {
    const problems = Object.entries(definition.channels ?? {}).flatMap(([name, channel]) => [
      ...missing(`channel ${name}`, channel),
      ...Object.entries(channel.conversation?.tags ?? {}).flatMap(([tag, value]) =>
        missing(`conversation tag ${tag}`, value)
      ),
      ...Object.entries(channel.message?.tags ?? {}).flatMap(([tag, value]) => missing(`message tag ${tag}`, value)),
      ...Object.entries(channel.messages).flatMap(([type, message]) =>
        problemsOfFields(`channel ${name} message ${type}`, message.schema).filter((p) => p.includes('userId'))
      ),
    ])
    expect(problems).toEqual([])
  })

  it('user tags, states and entities', () => {
    const problems = [
      ...Object.entries(definition.user?.tags ?? {}).flatMap(([tag, value]) => missing(`user tag ${tag}`, value)),
      ...Object.entries(definition.states ?? {}).flatMap(([name, state]) =>
        problemsOfFields(`state ${name}`, state.schema)
      ),
      ...Object.entries(definition.entities ?? {}).flatMap(([name, entity]) => [
        ...missing(`entity ${name}`, entity),
        ...problemsOfFields(`entity ${name}`, entity.schema),
      ]),
    ]
    expect(problems).toEqual([])
  })

  it('extends the hitl 2.0.0 interface with our session entity', () => {
    const hitl = Object.values(definition.interfaces ?? {})[0]
    expect(hitl).toMatchObject({ name: 'hitl', version: '2.0.0', id: 'ifver_01K0STHY79Y0GFGFGDXXGQKDVE' })
    expect(Object.keys(definition.channels?.hitl?.messages ?? {}).sort()).toEqual([
      'audio',
      'bloc',
      'file',
      'image',
      'text',
      'video',
    ])
    expect(Object.keys(definition.actions ?? {}).sort()).toEqual(['createUser', 'startHitl', 'stopHitl'])
  })
})
