// Custom Channels API (dated version): the channel (developer key), its channel accounts and messages (bearer).
import { z } from 'zod'
import type { HubSpotHttp } from './http'
import { collectPages } from './paging'
import {
  channelAccountListSchema,
  channelAccountSchema,
  channelListSchema,
  channelSchema,
  messageSchema,
  type Channel,
  type ChannelAccount,
  type ChannelAccountCreate,
  type ChannelCreate,
  type Message,
  type PublishMessage,
} from './schemas'
import { customChannelsBase } from './versions'

const BASE = customChannelsBase

export const listChannels = (http: HubSpotHttp): Promise<Channel[]> =>
  collectPages((after) =>
    http.send({ method: 'GET', path: BASE, auth: 'developer', query: { limit: 100, after }, schema: channelListSchema })
  )

export const getChannel = (http: HubSpotHttp, channelId: string): Promise<Channel> =>
  http.send({ method: 'GET', path: `${BASE}/${channelId}`, auth: 'developer', schema: channelSchema })

// Not retried after a 5xx: a second POST could create a second channel.
export const createChannel = (http: HubSpotHttp, channel: ChannelCreate): Promise<Channel> =>
  http.send({ method: 'POST', path: BASE, auth: 'developer', json: channel, retrySafe: false, schema: channelSchema })

export const deleteChannel = (http: HubSpotHttp, channelId: string): Promise<void> =>
  http.send({ method: 'DELETE', path: `${BASE}/${channelId}`, auth: 'developer', schema: undefined })

export const listChannelAccounts = (http: HubSpotHttp, channelId: string): Promise<ChannelAccount[]> =>
  collectPages((after) =>
    http.send({
      method: 'GET',
      path: `${BASE}/${channelId}/channel-accounts`,
      auth: 'bearer',
      query: { limit: 100, after },
      schema: channelAccountListSchema,
    })
  )

export const createChannelAccount = (
  http: HubSpotHttp,
  channelId: string,
  account: ChannelAccountCreate
): Promise<ChannelAccount> =>
  http.send({
    method: 'POST',
    path: `${BASE}/${channelId}/channel-accounts`,
    auth: 'bearer',
    json: account,
    retrySafe: false,
    schema: channelAccountSchema,
  })

// Repeating a publish is harmless when it carries an integrationIdempotencyId: HubSpot returns the first.
export const publishMessage = (http: HubSpotHttp, channelId: string, message: PublishMessage): Promise<Message> =>
  http.send({
    method: 'POST',
    path: `${BASE}/${channelId}/messages`,
    auth: 'bearer',
    json: message,
    retrySafe: message.integrationIdempotencyId !== undefined,
    schema: messageSchema,
  })

export type DeliveryStatus = { statusType: 'SENT' } | { statusType: 'FAILED'; errorMessage: string }

export const updateMessageStatus = (
  http: HubSpotHttp,
  channelId: string,
  messageId: string,
  status: DeliveryStatus
): Promise<void> =>
  http
    .send({
      method: 'PATCH',
      path: `${BASE}/${channelId}/messages/${encodeURIComponent(messageId)}`,
      auth: 'bearer',
      json: status,
      schema: z.unknown(),
    })
    .then(() => undefined)
