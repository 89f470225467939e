// The deployable bundle, built as `bp build` builds it (esbuild, CommonJS, node, from src/index.ts),
// run in its own process against the testbed: what a bot builder ships is what is tested.
import { build } from 'esbuild'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { uploadServedProject } from '../../testbed/world'
import { freePort, stopProcess } from '../support/processes'
import { customerView, eventsOf, settle, threadMessages, threadOf, world } from './helpers'

let child: ChildProcess | undefined
afterAll(() => stopProcess(child))

describe('the bundle', () => {
  it('loads, serves, and carries a whole session from install to hand-back', async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'hitl-bundle-')), 'index.cjs')
    await build({
      entryPoints: [join(__dirname, '..', '..', 'src', 'index.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      logLevel: 'silent',
    })

    const port = await freePort()
    const w = await world({ register: false, uploadProject: false, integrationUrl: `http://127.0.0.1:${port}` })
    child = spawn(process.execPath, ['-e', `require(${JSON.stringify(outfile)}).default.start(${port})`], {
      env: {
        ...process.env,
        HUBSPOT_API_URL: w.hs.url,
        BP_API_URL: w.bp.url,
        BP_TOKEN: w.bp.token,
        BP_WEBHOOK_URL: w.bp.webhookBaseUrl,
      },
      stdio: 'ignore',
    })
    for (let waited = 0; ; waited += 100) {
      const health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
      if (health?.ok) break
      if (waited > 15_000) throw new Error('the bundle did not start serving')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    await uploadServedProject(w.hs, w.driver.webhookUrl)
    await w.driver.register()
    const session = await w.bot.escalate({
      customer: { name: 'Jane Doe', email: 'jane.doe@example.com' },
      history: [{ from: 'customer', type: 'text', payload: { text: 'Hello' } }],
    })
    await w.bot.customerSays(session, { type: 'text', payload: { text: 'Still there?' } })
    const threadId = threadOf(w, session)
    w.hs.agent.assign(threadId, 'A-111')
    w.hs.agent.reply(threadId, { actorId: 'A-111', text: 'Yes, Ann here' })
    w.hs.agent.close(threadId)
    await settle(w)

    const texts = threadMessages(w, threadId).map((m) => m.text)
    expect(texts[0]).toContain('Jane Doe: Hello')
    expect(texts.slice(1)).toEqual(['Still there?', 'Yes, Ann here'])
    expect(customerView(w, session).map((m) => m.payload.text)).toEqual(['Yes, Ann here'])
    expect(eventsOf(w, session).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
  }, 60_000)
})
