// Custom channels (developer key), their channel accounts and messages (bearer).
import {
  channelAccountCreateSchema,
  channelAccountListSchema,
  channelAccountSchema,
  channelCreateSchema,
  channelListSchema,
  channelSchema,
  messageSchema,
  messageStatusUpdateSchema,
  publishMessageSchema,
  type ChannelCapabilities,
} from '../../../src/hubspot/schemas'
import { apiError, notFound, validationError } from '../errors'
import { emitChannelAccountEvent, withoutUndefined } from '../events'
import { noContent, nowIso, paginate, parseBody, respond, type Reply, type RequestContext } from '../http'
import { publishMessage, requireChannel } from '../inbox'
import type { ChannelAccountRecord, ChannelRecord, MessageStatus, StoredMessage } from '../portal'
import { CUSTOM_CHANNEL_PREFIXES, under, type RouteTable } from '../router'
import type { StandInState } from '../state'

const READ = ['conversations.custom_channels.read', 'conversations.custom_channels.write']
const WRITE = ['conversations.custom_channels.write']

export const channelView = (channel: ChannelRecord) =>
  withoutUndefined({
    id: channel.id,
    name: channel.name,
    capabilities: channel.capabilities,
    createdAt: channel.createdAt,
    webhookUrl: channel.webhookUrl,
    channelAccountConnectionRedirectUrl: channel.channelAccountConnectionRedirectUrl,
    channelDescription: channel.channelDescription,
    channelLogoUrl: channel.channelLogoUrl,
  })

export const channelAccountView = (account: ChannelAccountRecord) =>
  withoutUndefined({
    id: account.id,
    channelId: account.channelId,
    inboxId: account.inboxId,
    name: account.name,
    active: account.authorized && !account.archived,
    authorized: account.authorized,
    archived: account.archived,
    archivedAt: account.archivedAt,
    createdAt: account.createdAt,
    deliveryIdentifier: account.deliveryIdentifier,
  })

// HubSpot refuses capability values it does not allow with INVALID_CHANNEL_CAPABILITY_VALUES, and
// then no channel exists. Its maxima are undocumented: the limits are the values seen working in
// production (settings.capabilityLimits).
const checkCapabilities = (state: StandInState, capabilities: Partial<ChannelCapabilities> | undefined): void => {
  if (!capabilities) return
  const limits = state.settings.capabilityLimits
  const problems = (Object.keys(limits) as (keyof typeof limits)[]).flatMap((key) => {
    const value = capabilities[key]
    return value !== undefined && (value < 1 || value > limits[key])
      ? [`${key} ${value} is outside 1..${limits[key]}`]
      : []
  })
  if (problems.length) {
    throw apiError(400, 'VALIDATION_ERROR', `Invalid channel capability values: ${problems.join('; ')}.`, {
      subCategory: 'CustomChannelsError.INVALID_CHANNEL_CAPABILITY_VALUES',
    })
  }
}

const createChannel = (state: StandInState, ctx: RequestContext): Reply => {
  const input = parseBody(ctx, channelCreateSchema, 'custom channel')
  checkCapabilities(state, input.capabilities)
  const createdAt = nowIso()
  const channel: ChannelRecord = {
    ...input,
    id: state.portal.nextId('channel'),
    createdAt,
    updatedAt: createdAt,
    archived: false,
    hiddenFromListCalls: state.settings.hideNewChannelsForListCalls,
  }
  state.portal.channels.set(channel.id, channel)
  return respond(channelSchema, channelView(channel), 201)
}

const listChannels = (state: StandInState, ctx: RequestContext): Reply => {
  const live = [...state.portal.channels.values()].filter((channel) => !channel.archived)
  const visible = live.filter((channel) => channel.hiddenFromListCalls === 0)
  for (const channel of live) channel.hiddenFromListCalls = Math.max(0, channel.hiddenFromListCalls - 1)
  return respond(channelListSchema, paginate(visible.map(channelView), ctx.query, { limit: 20, max: 100 }))
}

const updateChannel = (state: StandInState, ctx: RequestContext): Reply => {
  const channel = requireChannel(state, ctx.params.channelId)
  const changes = parseBody(ctx, channelCreateSchema.partial(), 'custom channel update')
  checkCapabilities(state, changes.capabilities)
  Object.assign(channel, withoutUndefined(changes), { updatedAt: nowIso() })
  return respond(channelSchema, channelView(channel))
}

const archiveChannel = (state: StandInState, ctx: RequestContext): Reply => {
  const channel = requireChannel(state, ctx.params.channelId)
  const archivedAt = nowIso()
  channel.archived = true
  for (const account of state.portal.channelAccounts.values()) {
    if (account.channelId === channel.id && !account.archived) {
      Object.assign(account, { archived: true, archivedAt, updatedAt: archivedAt })
    }
  }
  return noContent()
}

const requireAccount = (state: StandInState, ctx: RequestContext, channel: ChannelRecord): ChannelAccountRecord => {
  const account = state.portal.channelAccounts.get(ctx.params.channelAccountId)
  const includeArchived = ctx.query.get('archived') === 'true'
  if (!account || account.channelId !== channel.id || (account.archived && !includeArchived)) {
    throw notFound(`Channel account ${ctx.params.channelAccountId} does not exist in channel ${channel.id}.`)
  }
  return account
}

const createAccount = (state: StandInState, ctx: RequestContext): Reply => {
  const channel = requireChannel(state, ctx.params.channelId)
  const input = parseBody(ctx, channelAccountCreateSchema, 'channel account')
  if (!state.portal.inboxes.has(input.inboxId)) {
    const inboxes = [...state.portal.inboxes.values()].map((inbox) => `${inbox.name} (${inbox.id})`).join(', ')
    throw validationError(
      `inboxId ${input.inboxId} is not an inbox of portal ${state.portalId}; inboxes: ${inboxes}.`,
      [{ message: `Inbox ${input.inboxId} does not exist`, code: 'INVALID_INBOX_ID', in: 'inboxId' }]
    )
  }
  const createdAt = nowIso()
  const account: ChannelAccountRecord = withoutUndefined({
    id: state.portal.nextId('channelAccount'),
    channelId: channel.id,
    inboxId: input.inboxId,
    name: input.name,
    authorized: input.authorized,
    archived: false,
    createdAt,
    updatedAt: createdAt,
    deliveryIdentifier: input.deliveryIdentifier,
  })
  state.portal.channelAccounts.set(account.id, account)
  emitChannelAccountEvent(state, channel, account, 'CHANNEL_ACCOUNT_CREATED')
  return respond(channelAccountSchema, channelAccountView(account), 201)
}

const listAccounts = (state: StandInState, ctx: RequestContext): Reply => {
  const channel = requireChannel(state, ctx.params.channelId)
  const archived = ctx.query.get('archived') === 'true'
  const identifierType = ctx.query.get('deliveryIdentifierType')
  const identifierValue = ctx.query.get('deliveryIdentifierValue')
  const accounts = [...state.portal.channelAccounts.values()].filter(
    (account) =>
      account.channelId === channel.id &&
      account.archived === archived &&
      (identifierType === null || account.deliveryIdentifier?.type === identifierType) &&
      (identifierValue === null || account.deliveryIdentifier?.value === identifierValue)
  )
  return respond(
    channelAccountListSchema,
    paginate(accounts.map(channelAccountView), ctx.query, { limit: 20, max: 100 })
  )
}

const updateAccount = (state: StandInState, ctx: RequestContext): Reply => {
  const channel = requireChannel(state, ctx.params.channelId)
  const account = requireAccount(state, ctx, channel)
  const changes = parseBody(
    ctx,
    channelAccountCreateSchema.pick({ name: true, authorized: true }).partial(),
    'channel account update'
  )
  Object.assign(account, withoutUndefined(changes), { updatedAt: nowIso() })
  emitChannelAccountEvent(state, channel, account, 'CHANNEL_ACCOUNT_UPDATED')
  return respond(channelAccountSchema, channelAccountView(account))
}

const requireMessage = (state: StandInState, ctx: RequestContext): StoredMessage => {
  const channel = requireChannel(state, ctx.params.channelId)
  const message = state.portal.messageById.get(ctx.params.messageId)
  if (!message || message.channelId !== channel.id) {
    throw notFound(`Message ${ctx.params.messageId} does not exist in channel ${channel.id}.`)
  }
  return message
}

const publish = (state: StandInState, ctx: RequestContext): Reply => {
  const input = parseBody(ctx, publishMessageSchema, 'message')
  const { message, created } = publishMessage(state, ctx.params.channelId, input)
  return respond(messageSchema, message, created ? 201 : 200)
}

const updateMessageStatus = (state: StandInState, ctx: RequestContext): Reply => {
  const message = requireMessage(state, ctx)
  const update = parseBody(ctx, messageStatusUpdateSchema, 'message status')
  const { statusType, errorMessage } =
    'status' in update
      ? { statusType: update.status.statusType, errorMessage: update.status.failureDetails?.errorMessage }
      : update
  const status: MessageStatus = { statusType }
  if (statusType === 'FAILED') status.failureDetails = withoutUndefined({ errorMessage, errorMessageTokens: {} })
  message.status = status
  message.updatedAt = nowIso()
  state.portal.statusReports.set(message.id, [...(state.portal.statusReports.get(message.id) ?? []), status])
  return respond(messageSchema, message)
}

export const registerChannelRoutes = (routes: RouteTable, state: StandInState): void => {
  const developer = 'developerKeyOrBearer' as const
  routes.add('POST', under(CUSTOM_CHANNEL_PREFIXES, ''), {
    auth: developer,
    scopes: WRITE,
    handler: (ctx) => createChannel(state, ctx),
  })
  routes.add('GET', under(CUSTOM_CHANNEL_PREFIXES, ''), {
    auth: developer,
    scopes: READ,
    handler: (ctx) => listChannels(state, ctx),
  })
  routes.add('GET', under(CUSTOM_CHANNEL_PREFIXES, '/:channelId'), {
    auth: developer,
    scopes: READ,
    handler: (ctx) => respond(channelSchema, channelView(requireChannel(state, ctx.params.channelId))),
  })
  routes.add('PATCH', under(CUSTOM_CHANNEL_PREFIXES, '/:channelId'), {
    auth: developer,
    scopes: WRITE,
    handler: (ctx) => updateChannel(state, ctx),
  })
  routes.add('DELETE', under(CUSTOM_CHANNEL_PREFIXES, '/:channelId'), {
    auth: developer,
    scopes: WRITE,
    handler: (ctx) => archiveChannel(state, ctx),
  })

  const accounts = under(CUSTOM_CHANNEL_PREFIXES, '/:channelId/channel-accounts')
  const account = under(CUSTOM_CHANNEL_PREFIXES, '/:channelId/channel-accounts/:channelAccountId')
  routes.add('POST', accounts, { auth: 'bearer', scopes: WRITE, handler: (ctx) => createAccount(state, ctx) })
  routes.add('GET', accounts, { auth: 'bearer', scopes: READ, handler: (ctx) => listAccounts(state, ctx) })
  routes.add('GET', account, {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) =>
      respond(
        channelAccountSchema,
        channelAccountView(requireAccount(state, ctx, requireChannel(state, ctx.params.channelId)))
      ),
  })
  routes.add('PATCH', account, { auth: 'bearer', scopes: WRITE, handler: (ctx) => updateAccount(state, ctx) })

  routes.add('POST', under(CUSTOM_CHANNEL_PREFIXES, '/:channelId/messages'), {
    auth: 'bearer',
    scopes: WRITE,
    handler: (ctx) => publish(state, ctx),
  })
  routes.add('GET', under(CUSTOM_CHANNEL_PREFIXES, '/:channelId/messages/:messageId'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) => respond(messageSchema, requireMessage(state, ctx)),
  })
  routes.add('PATCH', under(CUSTOM_CHANNEL_PREFIXES, '/:channelId/messages/:messageId'), {
    auth: 'bearer',
    scopes: WRITE,
    handler: (ctx) => updateMessageStatus(state, ctx),
  })
}
