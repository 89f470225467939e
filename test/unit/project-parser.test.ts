// [project-app] The generated project against HubSpot's own project parser, the library
// `hs project upload` and `hs project validate` run before sending anything
// (@hubspot/project-parsing-lib). Its every local check runs; only the JSON schemas it downloads
// from HubSpot's servers (project-components-external/project-schemas/v3/<platformVersion>) are
// replaced by schemas that accept any config, since no test reaches HubSpot.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { http } from '@hubspot/local-dev-lib/http'
import { Components } from '@hubspot/project-parsing-lib/constants'
import { isKnownPlatformVersion } from '@hubspot/project-parsing-lib/projects'
import { mapToInternalType } from '@hubspot/project-parsing-lib/transform'
import { isTranslationError, translate } from '@hubspot/project-parsing-lib/translate'
import { PLATFORM_VERSION, projectFiles, TEMPLATE_WEBHOOK_URL } from '../../src/hitl/project-files'

const SCHEMAS_PATH = /^project-components-external\/project-schemas\/v3\//

// One accept-all schema per component type the parser knows; any other download fails the test.
const acceptAll = Object.fromEntries(Object.keys(Components).map((type) => [mapToInternalType(type), {}]))
const schemaDownloads: string[] = []
const realGet = http.get

beforeAll(() => {
  http.get = (async (_accountId: number, options: { url: string }) => {
    if (!SCHEMAS_PATH.test(options.url)) throw new Error(`The test lets the parser download HubSpot's schemas only, not ${options.url}`)
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
  for (const file of projectFiles(webhookUrl)) files[file.path] = file.path.endsWith('.json') ? JSON.parse(file.content) : file.content
  edit?.(files)
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  return root
}

const parse = async (root: string) => {
  const project = JSON.parse(projectFiles(TEMPLATE_WEBHOOK_URL)[0]!.content) as { srcDir: string; platformVersion: string }
  return translate({ projectSourceDir: join(root, project.srcDir), platformVersion: project.platformVersion, accountId: 123456 })
}

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

describe('[project-app] HubSpot\'s project parser', () => {
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
      files['src/app/webhooks/webhooks-hsmeta.json'] = { ...(files['src/app/webhooks/webhooks-hsmeta.json'] as object), uid: 'bad uid!' }
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
