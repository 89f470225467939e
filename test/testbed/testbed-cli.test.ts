// `npm run testbed` as testbed/README.md documents it: a separate process, driven only over HTTP,
// through the scripted walk (escalate, assign, customer message, reply with a file, close).
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, stopProcess } from '../support/processes'

let child: ChildProcess | undefined
afterAll(() => stopProcess(child, 'SIGINT'))

const json = async (url: string, init?: RequestInit) => {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } })
  if (!response.ok) {
    throw new Error(`${init?.method ?? 'GET'} ${url} answered ${response.status}: ${await response.text()}`)
  }
  return response.json() as Promise<Record<string, unknown>>
}

describe('npm run testbed', () => {
  it('serves the stand-ins and the integration, and the scripted walk shows its effect on the Botpress side', async () => {
    const [hubspotPort, botPort] = [await freePort(), await freePort()]
    const root = join(__dirname, '..', '..')
    child = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'testbed/main.ts'], {
      cwd: root,
      env: { ...process.env, TESTBED_HUBSPOT_PORT: String(hubspotPort), TESTBED_BOT_PORT: String(botPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    const HS = `http://127.0.0.1:${hubspotPort}/_testbed`
    const BOT = `http://127.0.0.1:${botPort}`
    for (let waited = 0; !output.includes('testbed is up'); waited += 100) {
      if (waited > 20_000 || child.exitCode !== null) throw new Error(`the testbed did not start:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    const session = await json(`${BOT}/escalate`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'Jane Doe',
        email: 'jane.doe@example.com',
        title: 'Parcel late',
        history: ['Where is my parcel?', 'Let me find you a human.'],
      }),
    })
    const conversation = String(session.conversationId)
    const thread = String(session.hubspotThreadId)
    const inbox = await json(`${HS}/threads/${thread}`)
    expect((inbox.messages as { text: string }[])[0]?.text).toContain(': Where is my parcel?')

    await json(`${HS}/threads/${thread}/assign`, { method: 'POST', body: JSON.stringify({ actorId: 'A-111' }) })
    await json(`${BOT}/sessions/${conversation}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: 'It is order 42' }),
    })
    await json(`${HS}/threads/${thread}/reply`, {
      method: 'POST',
      body: JSON.stringify({
        actorId: 'A-111',
        text: 'Hi Jane, it ships today',
        files: [
          {
            name: 'label.pdf',
            contentType: 'application/pdf',
            base64: Buffer.from('%PDF-1.4 label').toString('base64'),
          },
        ],
      }),
    })
    await json(`${HS}/threads/${thread}/close`, { method: 'POST' })
    await fetch(`${HS}/settle`, { method: 'POST' })

    const result = await json(`${BOT}/sessions/${conversation}`)
    expect((result.events as { type: string }[]).map((e) => e.type)).toEqual(['hitlAssigned', 'hitlStopped'])
    const agentMessages = result.agentMessages as { type: string; userName: string; payload: Record<string, unknown> }[]
    expect(agentMessages.map((m) => [m.type, m.userName])).toEqual([
      ['text', 'Ann Agent'],
      ['file', 'Ann Agent'],
    ])
    expect(agentMessages[0]!.payload.text).toBe('Hi Jane, it ships today')
    const after = await json(`${HS}/threads/${thread}`)
    expect(
      (after.messages as { text: string; direction: string }[]).some(
        (m) => m.direction === 'INCOMING' && m.text === 'It is order 42'
      )
    ).toBe(true)
  }, 60_000)
})
