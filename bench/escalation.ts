// What the hitl plugin does before an operation can be measured: link a customer (createUser), open
// a session (startHitl) and host the files a customer sends. Driven through the driver exactly as
// Botpress calls the integration; nothing here is timed.
import { Client } from '@botpress/client'
import { z } from 'zod'
import type { BotpressStandIn, IntegrationDriver } from '../testbed/botpress'

export type Session = { conversationId: string; threadId: string; customerUserId: string }

export type HistoryEntry = {
  source: { type: 'user'; userId: string } | { type: 'bot' }
  type: 'text'
  payload: { text: string }
}

const createUserOutput = z.object({ userId: z.string().min(1) })
const startHitlOutput = z.object({ conversationId: z.string().min(1) })

// A 1×1 transparent PNG.
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64'
)

export const SMALL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'
)

const CUSTOMER_LINES = [
  'Hello, I ordered a desk last week',
  'The order number is 48213',
  'It arrived with a broken leg',
  'Yes, I have photos of the damage',
  'I would prefer a replacement over a refund',
  'The box was also torn on one side',
  'I am home every afternoon this week',
  'Can the courier take the broken one back?',
  'My address has not changed',
  'Thank you, I will wait for an agent',
]

const BOT_LINES = [
  'Hi! How can I help you today?',
  'Sorry to hear that. What is your order number?',
  'Thanks. Can you describe the problem?',
  'Could you share a photo of the damage?',
  'Would you like a refund or a replacement?',
  'I can arrange that. Anything else damaged?',
  'When are you available for a delivery?',
  'Let me check what the courier can do.',
  'Is the delivery address still the same?',
  'I am handing you over to a human agent now.',
]

// Customer and bot take turns, customer first.
export const mixedHistory = (customerUserId: string, length: number): HistoryEntry[] =>
  Array.from({ length }, (_, index) => {
    const turn = Math.floor(index / 2)
    return index % 2 === 0
      ? {
          source: { type: 'user', userId: customerUserId },
          type: 'text',
          payload: { text: CUSTOMER_LINES[turn % CUSTOMER_LINES.length]! },
        }
      : { source: { type: 'bot' }, type: 'text', payload: { text: BOT_LINES[turn % BOT_LINES.length]! } }
  })

export const createUserInput = (index: number, runId: string) => ({
  name: `Bench Customer ${index}`,
  email: `bench-${runId}-${index}@example.com`,
})

export const linkCustomer = async (
  driver: IntegrationDriver,
  input: { name: string; email: string }
): Promise<string> => {
  const output = createUserOutput.parse(await driver.callAction('createUser', input))
  return output.userId
}

export const startHitlInput = (customerUserId: string, historyLength: number) => ({
  userId: customerUserId,
  title: 'Damaged delivery',
  description: 'Order 48213 arrived broken',
  messageHistory: mixedHistory(customerUserId, historyLength),
})

export const sessionOf = (bp: BotpressStandIn, conversationId: string, customerUserId: string): Session => {
  const threadId = bp.store.conversations.get(conversationId)?.tags.hubspotThreadId
  if (!threadId) throw new Error(`startHitl left conversation ${conversationId} without a HubSpot thread`)
  return { conversationId, threadId, customerUserId }
}

export const openSession = async (
  bp: BotpressStandIn,
  driver: IntegrationDriver,
  customerUserId: string,
  historyLength = 0
): Promise<Session> => {
  const output = startHitlOutput.parse(
    await driver.callAction('startHitl', startHitlInput(customerUserId, historyLength))
  )
  // The hitl plugin links the conversation right after startHitl returns (its trace the integration
  // reads to know the session is about to be active); the benchmark has no plugin, so it does that.
  bp.store.updateConversation(output.conversationId, {
    tags: { 'hitl#upstream': `bench-upstream-${output.conversationId}` },
  })
  return sessionOf(bp, output.conversationId, customerUserId)
}

export const parseStartHitlOutput = (output: unknown): string => startHitlOutput.parse(output).conversationId

// A file as Botpress hosts what customers send: uploaded with public access, served by its URL.
export const hostCustomerFile = async (
  bp: BotpressStandIn,
  driver: IntegrationDriver,
  file: { name: string; content: Buffer; contentType: string }
): Promise<string> => {
  const client = new Client({ apiUrl: bp.url, token: bp.token, botId: driver.botId })
  const { file: hosted } = await client.uploadFile({
    key: `customer-uploads/${driver.botId}/${Date.now()}-${file.name}`,
    content: file.content,
    contentType: file.contentType,
    accessPolicies: ['public_content'],
  })
  if (!hosted.url) throw new Error('the Botpress stand-in returned no URL for a hosted file')
  return hosted.url
}
