// Customer messages: every type reaches the thread, once (idempotency keys), within the channel's
// capabilities; the plugin's notices read as the bot's.
import { describe, expect, it } from 'vitest'
import type { World } from '../../testbed/world'
import { hostFile, threadMessages, threadOf, world, escalated, setEnv, sleep, jane, says } from './helpers'

const incomingTexts = (w: World, threadId: string) =>
  threadMessages(w, threadId)
    .filter((m) => m.direction === 'INCOMING')
    .map((m) => m.text)

const messageCalls = (w: World) =>
  w.hs.calls.filter((c) => c.method === 'POST' && /\/custom-channels\/2026-03\/\d+\/messages$/.test(c.path))

describe('[notice] notices from the bot read as notices', () => {
  it('a hitl message without payload.userId is published by the bot, labelled, not as the customer', async () => {
    const w = await world()
    const session = await w.bot.escalate({ customer: { name: 'Jane', email: 'a@example.com' } })
    await w.bot.notice(session, 'The customer is typing from a mobile device')
    const last = threadMessages(w, threadOf(w, session)).at(-1)!
    expect(last.direction).toBe('OUTGOING')
    expect(last.senders[0]?.name).toBe('Bot')
    expect(last.text).toBe('Notice from the bot: The customer is typing from a mobile device')
  })
})

describe('customer messages reach the thread', () => {
  it.each([
    ['text', { text: 'Where is my parcel?' }, { text: 'Where is my parcel?', files: 0, usage: undefined }],
    ['image', { imageUrl: 'FILE/photo.png' }, { text: '', files: 1, usage: 'IMAGE' }],
    ['audio', { audioUrl: 'FILE/voice.ogg' }, { text: '', files: 1, usage: 'AUDIO' }],
    ['video', { videoUrl: 'FILE/clip.mp4' }, { text: '', files: 1, usage: 'OTHER' }],
    ['file', { fileUrl: 'FILE/invoice.pdf', title: 'invoice.pdf' }, { text: 'invoice.pdf', files: 1, usage: 'OTHER' }],
    [
      'bloc',
      {
        items: [
          { type: 'text', payload: { text: 'My receipt:' } },
          { type: 'image', payload: { imageUrl: 'FILE/receipt.jpg' } },
        ],
      },
      { text: 'My receipt:', files: 1, usage: 'IMAGE' },
    ],
  ])('%s', async (type, payload, expected) => {
    const w = await world()
    const session = await w.bot.escalate({ customer: jane })
    // Files live on the Botpress stand-in, as Botpress hosts the files customers send.
    let json = JSON.stringify(payload)
    for (const name of json.match(/FILE\/[\w.]+/g) ?? []) {
      json = json.replace(name, await hostFile(w, name.slice(5), `bytes of ${name}`, 'application/octet-stream'))
    }
    const hosted = JSON.parse(json) as Record<string, unknown>
    const message = await w.bot.customerSays(session, { type, payload: hosted as never })
    const published = threadMessages(w, threadOf(w, session)).at(-1)!
    expect(published.direction).toBe('INCOMING')
    expect(published.text).toBe(expected.text)
    expect(published.attachments).toHaveLength(expected.files)
    if (expected.usage) expect(published.attachments[0]).toMatchObject({ type: 'FILE', fileUsageType: expected.usage })
    expect(published.senders[0]!.name).toBe('Jane Doe')
    expect(w.bp.store.messages.get(message.id)?.tags.hubspotMessageId).toBe(published.id)
  })
})

describe('file names in HubSpot', () => {
  it('a customer who sends "photo of parcel.png" twice: the agent reads that name on both, not a renamed copy', async () => {
    const { w, session, threadId } = await escalated()
    for (const content of ['first photo', 'second photo']) {
      const { Client } = await import('@botpress/client')
      const client = new Client({ apiUrl: w.bp.url, token: w.bp.token, botId: w.driver.botId })
      // As the sandbox's chat stores them: a folder per upload, the file's own name last.
      const { file } = await client.uploadFile({
        key: `customer-uploads/${content.length}-${content[0]}/photo of parcel.png`,
        content,
        contentType: 'image/png',
        accessPolicies: ['public_content'],
      })
      await w.bot.customerSays(session, { type: 'image', payload: { imageUrl: String(file.url) } })
    }
    const attached = threadMessages(w, threadId)
      .flatMap((m) => m.attachments)
      .flatMap((a) => (a.type === 'FILE' ? [a] : []))
    expect(attached.map((a) => a.name)).toEqual(['photo of parcel.png', 'photo of parcel.png'])
    // HubSpot renames an upload that meets a file of the same name in its folder: each has its own.
    const stored = attached.map((a) => w.hs.portal.files.get(String(a.fileId))!)
    expect(new Set(stored.map((f) => f.parentFolderId)).size).toBe(2)
    expect(stored.map((f) => f.data.toString())).toEqual(['first photo', 'second photo'])
  })
})

describe('[idempotency] retried publishes', () => {
  it('[idempotency] a customer message whose publish timed out and was retried creates one HubSpot message', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    // The first publish reaches HubSpot and takes effect, but its answer comes after our timeout.
    setEnv({ HUBSPOT_REQUEST_TIMEOUT_MS: '150' })
    w.hs.faults.latency(400, { method: 'POST', path: /\/messages$/ })
    const sent = says(w, session, 'Where is my parcel?')
    while (messageCalls(w).length === 0) await sleep(2)
    w.hs.faults.latency(0)
    const message = await sent
    await sleep(400) // the slow first publish completes on HubSpot's side
    expect(messageCalls(w).length).toBeGreaterThanOrEqual(2)
    expect(
      messageCalls(w)
        .map((c) => c.status)
        .sort()
    ).toEqual(expect.arrayContaining([200, 201]))
    const published = threadMessages(w, threadId).filter((m) => m.text === 'Where is my parcel?')
    expect(published).toHaveLength(1)
    expect(w.bp.store.messages.get(message.id)?.tags.hubspotMessageId).toBe(published[0]!.id)
  })

  it('[idempotency] the channel handler called twice for the same Botpress message creates the HubSpot message(s) once, long texts included', async () => {
    const { w, session, threadId } = await escalated()
    const long = Array.from({ length: 1500 }, (_, i) => `word${i}`).join(' ') // > 4000 characters: several HubSpot messages
    for (const text of ['Is anyone there?', long]) {
      const message = await says(w, session, text)
      const before = threadMessages(w, threadId).length
      const conversation = w.bp.store.conversations.get(session.conversationId)!
      const user = w.bp.store.users.get(message.userId)!
      const again = await w.driver.invoke('message_created', {
        type: message.type,
        payload: message.payload,
        conversation,
        user,
        message,
      })
      expect(again.status).toBe(200)
      expect(threadMessages(w, threadId).length).toBe(before)
    }
    const incoming = incomingTexts(w, threadId)
    expect(incoming.filter((t) => t === 'Is anyone there?')).toHaveLength(1)
    expect(
      incoming
        .join(' ')
        .split(' ')
        .filter((word) => word === 'word1499')
    ).toHaveLength(1)
    expect(incoming.filter((t) => t.startsWith('word0 '))).toHaveLength(1)
  })

  it('[idempotency] a publish answered 503 is retried and makes one HubSpot message', async () => {
    const { w, session, threadId } = await escalated()
    w.hs.resetCalls()
    w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 503, count: 1 })
    await says(w, session, 'After a 503')
    expect(messageCalls(w).map((c) => c.status)).toEqual([503, 201])
    expect(incomingTexts(w, threadId).filter((t) => t === 'After a 503')).toHaveLength(1)
  })
})

describe('[real-world] channel capabilities HubSpot accepts', () => {
  it('[real-world] the channel declares one file per message and 10,000,000 bytes; out-of-range values are refused as HubSpot refuses them', async () => {
    const w = await world()
    const channel = [...w.hs.portal.channels.values()][0]!
    expect(channel.capabilities).toMatchObject({
      maxFileAttachmentCount: 1,
      maxFileAttachmentSizeBytes: 10_000_000,
      maxTotalFileAttachmentSizeBytes: 10_000_000,
    })
    const refused = await fetch(
      `${w.hs.url}/conversations/custom-channels/2026-03?hapikey=${w.hs.app.developerApiKey}&appId=${w.hs.app.appId}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Too many files',
          capabilities: { ...channel.capabilities, maxFileAttachmentCount: 10 },
        }),
      }
    )
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ subCategory: 'CustomChannelsError.INVALID_CHANNEL_CAPABILITY_VALUES' })
  })

  it('[real-world] a customer message with three files reaches the agent as three messages of one file each, in order, text first', async () => {
    const { w, session, threadId } = await escalated()
    const urls = await Promise.all(
      ['a.png', 'b.png', 'c.pdf'].map((name) =>
        hostFile(w, name, `bytes of ${name}`, name.endsWith('pdf') ? 'application/pdf' : 'image/png')
      )
    )
    await w.bot.customerSays(session, {
      type: 'bloc',
      payload: {
        items: [
          { type: 'text', payload: { text: 'Three files' } },
          ...urls.slice(0, 2).map((imageUrl) => ({ type: 'image', payload: { imageUrl } })),
          { type: 'file', payload: { fileUrl: urls[2]!, title: 'c.pdf' } },
        ],
      },
    })
    const incoming = threadMessages(w, threadId)
      .filter((m) => m.direction === 'INCOMING')
      .slice(-3)
    expect(incoming.map((m) => [m.text, m.attachments.length])).toEqual([
      ['Three files\n\nc.pdf', 1],
      ['', 1],
      ['', 1],
    ])
    const names = incoming.map((m) =>
      m.attachments[0]?.type === 'FILE'
        ? w.hs.portal.files.get(String(m.attachments[0].fileId))?.data.toString()
        : undefined
    )
    expect(names).toEqual(['bytes of a.png', 'bytes of b.png', 'bytes of c.pdf'])
  })
})
