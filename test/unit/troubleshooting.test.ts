import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { problems } from '../../src/hitl/errors'

const root = join(__dirname, '..', '..')
const hub = readFileSync(join(root, 'hub.md'), 'utf8')

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })

describe('[diagnostics] every error a bot builder can see is explained in hub.md', () => {
  it.each(Object.entries(problems))('%s', (_code, problem) => {
    expect(hub).toContain(`| ${problem.summary} |`)
  })

  it('no RuntimeError is built outside the catalogue of problems', () => {
    const offenders = sourceFiles(join(root, 'src'))
      .filter((file) => !file.endsWith(join('hitl', 'errors.ts')))
      .filter((file) => /new RuntimeError\((?!describeProblem\()/.test(readFileSync(file, 'utf8')))
    expect(offenders).toEqual([])
  })
})
