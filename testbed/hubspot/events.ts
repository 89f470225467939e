// Builds the webhook payloads HubSpot sends for portal changes and hands them to the dispatcher.
import { randomUUID } from 'node:crypto'
import { appWebhookEventSchema, channelAccountEventSchema, outgoingMessageEventSchema } from '../../src/hubspot/schemas'
import type { ChannelAccountRecord, ChannelRecord, StoredMessage, ThreadRecord } from './portal'
import type { StandInState } from './state'
import type { AppWebhookEvent } from './webhooks'

type AppEventFields = Pick<
  AppWebhookEvent,
  'subscriptionType' | 'propertyName' | 'propertyValue' | 'changeSource' | 'changeFlag' | 'messageId' | 'messageType'
>

// Who made a change: an agent in HubSpot's inbox UI, or a call to the public API.
export type ChangeSource = 'CONVERSATIONS' | 'API'

const ensureValid = <T>(check: { success: true; data: T } | { success: false; error: Error }, what: string): void => {
  if (!check.success) throw new Error(`the stand-in built an invalid ${what}: ${check.error.message}`)
}

// One event per matching active subscription, delivered only when the app has a target URL.
export const emitAppEvent = (state: StandInState, threadId: string, fields: AppEventFields): void => {
  const settings = state.portal.appWebhookSettings
  if (!settings) return
  for (const subscription of state.portal.subscriptions.values()) {
    if (!subscription.active || subscription.eventType !== fields.subscriptionType) continue
    if (subscription.propertyName && subscription.propertyName !== fields.propertyName) continue
    const event: AppWebhookEvent = {
      eventId: Number(state.portal.nextId('appEvent')),
      subscriptionId: Number(subscription.id),
      portalId: Number(state.portalId),
      appId: Number(state.app.appId),
      occurredAt: Date.now(),
      attemptNumber: 0,
      objectId: Number(threadId),
      ...withoutUndefined(fields),
    }
    ensureValid(appWebhookEventSchema.safeParse(event), 'app webhook event')
    state.dispatcher.sendAppEvent(settings.targetUrl, event)
  }
}

export const emitThreadCreated = (state: StandInState, thread: ThreadRecord): void =>
  emitAppEvent(state, thread.id, { subscriptionType: 'conversation.creation', changeFlag: 'CREATED' })

export const emitNewMessage = (state: StandInState, message: StoredMessage): void =>
  emitAppEvent(state, message.conversationsThreadId, {
    subscriptionType: 'conversation.newMessage',
    messageId: message.id,
    messageType: 'MESSAGE',
    changeFlag: 'NEW_MESSAGE',
  })

export const emitPropertyChange = (
  state: StandInState,
  threadId: string,
  propertyName: string,
  propertyValue: string,
  changeSource: ChangeSource
): void =>
  emitAppEvent(state, threadId, {
    subscriptionType: 'conversation.propertyChange',
    propertyName,
    propertyValue,
    changeSource,
  })

export const emitThreadDeleted = (state: StandInState, threadId: string): void =>
  emitAppEvent(state, threadId, { subscriptionType: 'conversation.deletion', changeFlag: 'DELETED' })

export const emitAgentMessage = (
  state: StandInState,
  channel: ChannelRecord,
  thread: ThreadRecord,
  message: StoredMessage
): void => {
  if (!channel.webhookUrl) return
  const event = {
    type: 'OUTGOING_CHANNEL_MESSAGE_CREATED',
    eventId: randomUUID(),
    eventTimestamp: new Date().toISOString(),
    portalId: state.portalId,
    channelId: channel.id,
    channelAccountId: message.channelAccountId,
    channelIntegrationThreadIds: thread.integrationThreadId ? [thread.integrationThreadId] : [],
    message,
  }
  ensureValid(outgoingMessageEventSchema.safeParse(event), 'OUTGOING_CHANNEL_MESSAGE_CREATED event')
  state.dispatcher.sendChannelEvent(channel.webhookUrl, JSON.stringify(event))
}

export const emitChannelAccountEvent = (
  state: StandInState,
  channel: ChannelRecord,
  account: ChannelAccountRecord,
  type: 'CHANNEL_ACCOUNT_CREATED' | 'CHANNEL_ACCOUNT_UPDATED'
): void => {
  if (!channel.webhookUrl) return
  const event = {
    type,
    eventId: randomUUID(),
    portalId: state.portalId,
    channelId: channel.id,
    channelAccountId: account.id,
    ...(account.deliveryIdentifier ? { channelAccountDeliveryIdentifier: account.deliveryIdentifier } : {}),
    authorized: account.authorized,
    eventTimestamp: new Date().toISOString(),
  }
  ensureValid(channelAccountEventSchema.safeParse(event), `${type} event`)
  state.dispatcher.sendChannelEvent(channel.webhookUrl, JSON.stringify(event))
}

export const withoutUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T
