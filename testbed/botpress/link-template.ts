// The Connect button of an integration's default configuration: Botpress evaluates the
// configuration's `identifier.linkTemplateScript` (a VRL program) with the installation's
// `webhookId` and `webhookUrl` (the webhook base URL) and links the button to the string it returns.
// The stand-in evaluates the VRL subset linkTemplate.vrl is written in, and refuses anything else
// rather than guess:
//
//   # comment
//   name = to_string!(.field)
//   "text {{ name }} text"      (the last statement: a string template, its value the link)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export class LinkTemplateError extends Error {
  public readonly name = 'LinkTemplateError'
}

export type LinkTemplateInput = { webhookId: string; webhookUrl: string }

const ASSIGNMENT = /^([a-z_][a-z0-9_]*)\s*=\s*to_string!\(\s*\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/
const TEMPLATE = /^"((?:[^"\\]|\\.)*)"$/
const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g

// VRL's string escapes that a URL template can hold.
const unescape = (text: string): string =>
  text.replace(/\\(.)/g, (_match, char: string) => {
    if (char === 'n') return '\n'
    if (char === 't') return '\t'
    if (char === '"' || char === '\\') return char
    throw new LinkTemplateError(`unsupported escape \\${char}`)
  })

export const renderLinkTemplate = (script: string, input: LinkTemplateInput): string => {
  const event: Record<string, string> = { ...input }
  const variables = new Map<string, string>()
  const statements = script
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  const last = statements.pop()
  for (const statement of statements) {
    const assignment = ASSIGNMENT.exec(statement)
    if (!assignment) throw new LinkTemplateError(`unsupported statement: ${statement}`)
    const [, name, field] = assignment
    const value = event[field!]
    // to_string! on a missing field (null) aborts the program, as VRL's `!` does.
    if (value === undefined) throw new LinkTemplateError(`to_string: .${field} is null`)
    variables.set(name!, value)
  }
  const template = last === undefined ? null : TEMPLATE.exec(last)
  if (!template) throw new LinkTemplateError(`the script must end with a string template, not: ${last ?? '(nothing)'}`)
  return unescape(template[1]!).replace(PLACEHOLDER, (_match, name: string) => {
    const value = variables.get(name)
    if (value === undefined) throw new LinkTemplateError(`undefined variable ${name} in the template`)
    return value
  })
}

// The integration's own linkTemplate.vrl, at the repository's root.
export const LINK_TEMPLATE_PATH = join(__dirname, '..', '..', 'linkTemplate.vrl')

// The Connect button's link for an installation, as Botpress renders it.
export const connectLink = (installation: LinkTemplateInput, path = LINK_TEMPLATE_PATH): string =>
  renderLinkTemplate(readFileSync(path, 'utf8'), installation)
