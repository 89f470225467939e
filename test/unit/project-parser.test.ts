// [project-app] The generated project against HubSpot's own project parser, the library
// `hs project upload` and `hs project validate` run before sending anything
// (@hubspot/project-parsing-lib). Its every local check runs; only the JSON schemas it downloads
// from HubSpot's servers (project-components-external/project-schemas/v3/<platformVersion>) are
// replaced by schemas that accept any config, since no test reaches HubSpot.
import { http } from '@hubspot/local-dev-lib/http'
import { Components } from '@hubspot/project-parsing-lib/constants'
import { isKnownPlatformVersion } from '@hubspot/project-parsing-lib/projects'
import { mapToInternalType } from '@hubspot/project-parsing-lib/transform'
import { isTranslationError, translate } from '@hubspot/project-parsing-lib/translate'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PLATFORM_VERSION, projectFiles, TEMPLATE_WEBHOOK_URL, VALUES_TO_COPY } from '../../src/hitl/project-files'

const SCHEMAS_PATH = /^project-components-external\/project-schemas\/v3\//

// One accept-all schema per component type the parser knows; any other download fails the test.
const acceptAll = Object.fromEntries(Object.keys(Components).map((type) => [mapToInternalType(type), {}]))
const schemaDownloads: string[] = []
const realGet = http.get

beforeAll(() => {
  http.get = (async (_accountId: number, options: { url: string }) => {
    if (!SCHEMAS_PATH.test(options.url)) {
      throw new Error(`The test lets the parser download HubSpot's schemas only, not ${options.url}`)
    }
    schemaDownloads.push(options.url)
    return { data: acceptAll }
  }) as typeof http.get
})
afterAll(() => {
  http.get = realGet
})

const writeProject = (webhookUrl: string, edit?: (files: Record<string, unknown>) => void): string => {
  const root = mkdtempSync(join(tmpdir(), 'hitl-project-'))
  const files: Record<string, unknown> = {}
  for (const file of projectFiles(webhookUrl)) {
    files[file.path] = file.path.endsWith('.json') ? JSON.parse(file.content) : file.content
  }
  edit?.(files)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  return root
}

const parse = async (root: string) => {
  const project = JSON.parse(projectFiles(TEMPLATE_WEBHOOK_URL)[0]!.content) as {
    srcDir: string
    platformVersion: string
  }
  return translate({
    projectSourceDir: join(root, project.srcDir),
    platformVersion: project.platformVersion,
    accountId: 123456,
  })
}

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

describe("[project-app] HubSpot's project parser", () => {
  it('[project-app] knows the platform version the project names', () => {
    expect(isKnownPlatformVersion(PLATFORM_VERSION)).toBe(true)
  })

  it.each([TEMPLATE_WEBHOOK_URL, 'https://webhook.botpress.cloud/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'])(
    '[project-app] accepts the project written for %s in every local check, and reads the app and its webhooks from it',
    async (webhookUrl) => {
      const root = writeProject(webhookUrl)
      roots.push(root)
      schemaDownloads.length = 0
      const { intermediateRepresentation, skippedHsMetaFiles } = await parse(root)
      expect(schemaDownloads).toEqual([`project-components-external/project-schemas/v3/${PLATFORM_VERSION}`])
      expect(skippedHsMetaFiles).toEqual([])
      const nodes = Object.values(intermediateRepresentation.intermediateNodesIndexedByUid)
      expect(nodes.map((node) => [node.uid, node.componentType]).sort()).toEqual([
        ['botpress_hitl_app', mapToInternalType('app')],
        ['botpress_hitl_webhooks', mapToInternalType('webhooks')],
      ])
      const webhooks = nodes.find((node) => node.uid === 'botpress_hitl_webhooks')!
      expect(webhooks.componentDeps).toMatchObject({ app: 'botpress_hitl_app' })
      expect((webhooks.config as { settings: { targetUrl: string } }).settings.targetUrl).toBe(webhookUrl)
    }
  )

  it('[project-app] the stand-in is only a stand-in for the schemas: the parser still refuses a project its local checks catch', async () => {
    const twoApps = writeProject(TEMPLATE_WEBHOOK_URL, (files) => {
      files['src/app/second-hsmeta.json'] = { ...(files['src/app/app-hsmeta.json'] as object), uid: 'second_app' }
    })
    const badUid = writeProject(TEMPLATE_WEBHOOK_URL, (files) => {
      files['src/app/webhooks/webhooks-hsmeta.json'] = {
        ...(files['src/app/webhooks/webhooks-hsmeta.json'] as object),
        uid: 'bad uid!',
      }
    })
    const badJson = writeProject(TEMPLATE_WEBHOOK_URL, (files) => {
      files['src/app/app-hsmeta.json'] = '{ "uid": '
    })
    roots.push(twoApps, badUid, badJson)
    const expected: Array<[string, RegExp]> = [
      [twoApps, /Only one app component is allowed/],
      [badUid, /'uid' should use only letters/],
      [badJson, /Invalid JSON/],
    ]
    for (const [root, message] of expected) {
      const error = await parse(root).then(
        () => null,
        (e: unknown) => e
      )
      expect(isTranslationError(error)).toBe(true)
      expect(String(error)).toMatch(message)
    }
  })
})

// The setup sections of README.md and hub.md, the project's own README and its page name the same
// values to copy from HubSpot, and both configuration tables mark each of them required.
describe('[project-app] README.md and hub.md agree on the values to copy', () => {
  const root = join(__dirname, '..', '..')
  const section = (file: string, heading: RegExp): string => {
    const text = readFileSync(join(root, file), 'utf8')
    const start = text.search(heading)
    expect(start, `${file} has a section ${heading}`).toBeGreaterThanOrEqual(0)
    const end = text.slice(start + 1).search(/\n## /)
    return end < 0 ? text.slice(start) : text.slice(start, start + 1 + end)
  }
  const setups = {
    'README.md': section('README.md', /^## HubSpot setup/m),
    'hub.md': section('hub.md', /^## Setup/m),
    'the project README': projectFiles(TEMPLATE_WEBHOOK_URL).find((file) => file.path === 'README.md')!.content,
  }
  const configurations = {
    'README.md': section('README.md', /^## Configuration/m),
    'hub.md': section('hub.md', /^## Configuration/m),
  }

  it.each(VALUES_TO_COPY.map((value) => value.name))('[project-app] every setup names the %s', (name) => {
    for (const [doc, text] of Object.entries(setups)) {
      expect(text.toLowerCase(), `${doc} names the ${name}`).toContain(name.toLowerCase())
    }
  })

  it.each(VALUES_TO_COPY.map((value) => value.name))(
    '[project-app] both configuration tables mark the %s required',
    (name) => {
      for (const [doc, text] of Object.entries(configurations)) {
        const row = text.split('\n').find((line) => line.toLowerCase().startsWith(`| ${name.toLowerCase()} |`))
        expect(row, `${doc} has a row for the ${name}`).toBeDefined()
        expect(row!.split('|').map((cell) => cell.trim())).toContain('yes')
      }
    }
  )

  it('[project-app] the setup says the copy count hub.md and README.md give', () => {
    expect(setups['hub.md']).toContain(
      `copy ${['zero', 'one', 'two', 'three', 'four', 'five', 'six'][VALUES_TO_COPY.length]} values`
    )
    expect(setups['README.md']).toContain(
      `copy ${['zero', 'one', 'two', 'three', 'four', 'five', 'six'][VALUES_TO_COPY.length]} values`
    )
  })
})
