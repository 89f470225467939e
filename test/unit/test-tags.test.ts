// Every tag the README names has tests, and test/README.md says where they are.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(__dirname, '..', '..')
const tagsIn = (text: string): Set<string> =>
  new Set([...text.matchAll(/`\[([a-z0-9-]+)\]`/g)].map((match) => match[1]!))

const testFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return testFiles(path)
    return name.endsWith('.test.ts') ? [path] : []
  })

describe('test tags', () => {
  const readme = tagsIn(readFileSync(join(root, 'README.md'), 'utf8'))
  const map = tagsIn(readFileSync(join(root, 'test', 'README.md'), 'utf8'))
  const sources = testFiles(join(root, 'test')).map((file) => readFileSync(file, 'utf8'))

  it.each([...readme])('[%s] is mapped in test/README.md and has tests', (tag) => {
    expect(map).toContain(tag)
    expect(sources.some((source) => source.includes(`[${tag}]`))).toBe(true)
  })
})
