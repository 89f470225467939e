// No secrets or personal data in logs: every line the integration prints during representative
// flows (connect, escalations by email and by phone, messages both ways, failures, close, a revoked
// refresh token) is captured and searched for tokens, keys, emails, phone numbers and message text.
import { describe, expect, it } from 'vitest'
import { DriverError } from '../../testbed/botpress'
import type { World } from '../../testbed/world'
import { captureOutput } from '../support/output'
import { connectThroughBrowser, settle, threadOf, world } from './helpers'

const expectFailure = async (promise: Promise<unknown>) => {
  await expect(promise).rejects.toBeInstanceOf(DriverError)
}

const secretsOf = (w: World) => ({
  accessTokens: [...w.hs.portal.tokens.access.keys()],
  refreshTokens: [...w.hs.portal.tokens.refresh.keys()],
  authorizationCodes: [...w.hs.portal.tokens.authCodes.keys()],
  clientSecret: [w.hs.app.clientSecret],
  developerApiKey: [w.hs.app.developerApiKey],
  botpressToken: [w.bp.token],
})

describe('[no-secrets] logs carry IDs, never secrets or personal data', () => {
  it('[no-secrets] connect, escalations by email and phone, messages both ways, failures, close and a revoked refresh token log no token, key, email, phone number or message text', async () => {
    const emails = ['carol.private@example.org', 'jane.doe@example.com']
    const phones = {
      dan: '+1 438 555 0123',
      danE164: '+14385550123',
      danDigits: '4385550123',
      john: '+1 (438) 555-0142',
      johnE164: '+14385550142',
      johnDigits: '4385550142',
    }
    const texts = {
      history: 'My account number is 99-1234-5678',
      botHistory: 'Could you confirm your postcode?',
      carol: 'My card ends with 4242 and expires 09/29',
      carolAgain: 'I live at 12 Rue Secrète',
      dan: 'Please call me back tonight',
      notice: 'The customer uploaded a private note',
      agent: 'Your verification code is 731905',
      agentToDan: 'I will call you at nine',
      failed: 'This one meets a HubSpot error',
      revoked: 'Written after the token was revoked',
    }

    const capture = captureOutput()
    const worlds: World[] = []
    try {
      // Connect through the OAuth flow (an authorization code and a new refresh token are issued).
      const connected = await world({ withoutRefreshToken: true })
      worlds.push(connected)
      await connectThroughBrowser(connected)
      const viaConnect = await connected.bot.escalate({
        customer: { name: 'Carol', email: emails[0] },
        history: [{ from: 'customer', type: 'text', payload: { text: texts.history } }],
      })
      await connected.bot.customerSays(viaConnect, { type: 'text', payload: { text: texts.carol } })

      const w = await world({ hubspot: { webhookRetryDelaysMs: [20, 40] } })
      worlds.push(w)
      // By email (an existing contact), with a transcript.
      const jane = await w.bot.escalate({
        customer: { name: 'Jane Doe', email: emails[1] },
        title: 'Refund',
        history: [
          { from: 'customer', type: 'text', payload: { text: texts.history } },
          { from: 'bot', type: 'text', payload: { text: texts.botHistory } },
        ],
      })
      // By phone: a new contact, and an existing one matched on its mobile number.
      const dan = await w.bot.escalate({ customer: { name: 'Dan', email: phones.dan } })
      const john = await w.bot.escalate({ customer: { name: 'John', email: phones.john } })
      await w.bot.customerSays(jane, { type: 'text', payload: { text: texts.carolAgain } })
      await w.bot.customerSays(dan, { type: 'text', payload: { text: texts.dan } })
      await w.bot.notice(jane, texts.notice)

      // The agent: assignment, replies, a failing status report, close.
      w.hs.agent.assign(threadOf(w, jane), 'A-111')
      await settle(w)
      w.hs.agent.reply(threadOf(w, jane), { actorId: 'A-111', text: texts.agent })
      w.hs.faults.inject({ method: 'PATCH', path: /\/messages\//, status: 503, count: 12 })
      w.hs.agent.reply(threadOf(w, dan), { actorId: 'A-222', text: texts.agentToDan })
      await settle(w)
      w.hs.faults.clear()
      w.hs.agent.close(threadOf(w, jane))
      await settle(w)

      // HubSpot refuses a publish for good (the customer is told, the log says why); then rate limits one.
      w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 400, count: 1 })
      await w.bot.customerSays(dan, { type: 'text', payload: { text: texts.failed } })
      w.hs.faults.inject({ method: 'POST', path: /\/messages$/, status: 429, count: 1, policyName: 'DAILY' })
      await expectFailure(w.bot.customerSays(dan, { type: 'text', payload: { text: texts.failed } }))

      // A webhook with a bad signature.
      await fetch(w.driver.webhookUrl, {
        method: 'POST',
        headers: { 'x-hubspot-signature-v3': 'AAAA', 'x-hubspot-request-timestamp': String(Date.now()) },
        body: JSON.stringify({ type: 'OUTGOING_CHANNEL_MESSAGE_CREATED', message: { text: texts.agent } }),
      })

      // The bot hands John back.
      await w.bot.end(john)

      // The refresh token is revoked: an action and a webhook fail.
      w.hs.faults.revokeRefreshToken(w.hs.refreshToken)
      w.hs.faults.expireAccessTokens()
      await expectFailure(w.bot.customerSays(dan, { type: 'text', payload: { text: texts.revoked } }))
      w.hs.agent.reply(threadOf(w, dan), { actorId: 'A-222', text: texts.agentToDan })
      await settle(w)
    } finally {
      capture.stop()
    }

    const output = capture.lines.join('\n')
    // The capture saw the integration's own log lines, from actions, channel handlers and webhooks.
    expect(output).toMatch(/HITL session started/)
    expect(output).toMatch(/Refused a webhook/)
    expect(output).toMatch(/HubSpot rejected the refresh token/)
    const leaks: string[] = []
    const check = (kind: string, values: string[]) => {
      for (const value of values) {
        if (value && output.includes(value)) {
          leaks.push(`${kind}: ${capture.lines.find((line) => line.includes(value))?.slice(0, 300)}`)
        }
      }
    }
    for (const w of worlds) for (const [kind, values] of Object.entries(secretsOf(w))) check(kind, values)
    check('email', emails)
    check('phone', Object.values(phones))
    check('message text', Object.values(texts))
    expect(leaks).toEqual([])
  })
})
