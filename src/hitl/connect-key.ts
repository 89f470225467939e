// The connect link carries a key only someone with the configuration can make: an HMAC of the
// webhook ID under the client secret. Without it, <webhook URL>/oauth/start connects nothing, so a
// stranger who learns the webhook URL cannot bind their own portal and receive the customers' chats.
import { createHmac } from 'node:crypto'
import { constantTimeEqual } from '../hubspot/signature'

export const connectKeyFor = (clientSecret: string, webhookId: string): string =>
  createHmac('sha256', clientSecret).update(`connect:${webhookId}`).digest('base64url').slice(0, 32)

export const connectLinkFor = (webhookUrl: string, clientSecret: string, webhookId: string): string =>
  `${webhookUrl}/oauth/start?key=${connectKeyFor(clientSecret, webhookId)}`

export const isConnectKey = (clientSecret: string, webhookId: string, key: string | null): boolean =>
  !!key && constantTimeEqual(key, connectKeyFor(clientSecret, webhookId))
