// What happens in the portal's conversations inbox: messages published by the integration,
// agents assigning, replying, closing and reopening threads, and the webhooks each change fires.
import { randomUUID } from 'node:crypto'
import type { z } from 'zod'
import type { DeliveryIdentifier, publishMessageSchema } from '../../src/hubspot/schemas'
import { escapeHtml } from '../html'
import { contactByEmail, contactByPhone, contactName } from './crm'
import { notFound, validationError } from './errors'
import {
  emitAgentMessage,
  emitNewMessage,
  emitPropertyChange,
  emitThreadCreated,
  emitThreadDeleted,
  withoutUndefined,
  type ChangeSource,
} from './events'
import { fileUsageTypeOf, fullNameOf, storeFile } from './file-store'
import { nowIso } from './http'
import type {
  AgentRecord,
  ChannelAccountRecord,
  ChannelRecord,
  CustomerRef,
  Participant,
  StoredAttachment,
  StoredMessage,
  ThreadRecord,
  ThreadStatus,
} from './portal'
import type { StandInState } from './state'

export type PublishInput = z.output<typeof publishMessageSchema>

// `hidden`: the file is a hidden file of the file manager (reading it needs files.ui_hidden.read).
export type AgentFile = { name: string; contentType: string; data: Buffer; hidden?: boolean }
export type AgentReply = { actorId: string; text?: string; richText?: string; files?: AgentFile[] }

const newMessageId = (): string => randomUUID().replace(/-/g, '')

export const requireChannel = (state: StandInState, channelId: string): ChannelRecord => {
  const channel = state.portal.channels.get(channelId)
  if (!channel || channel.archived) {
    throw notFound(`Custom channel ${channelId} does not exist for app ${state.app.appId}.`)
  }
  return channel
}

export const requireThread = (
  state: StandInState,
  threadId: string,
  options: { includeArchived?: boolean } = {}
): ThreadRecord => {
  const thread = state.portal.threads.get(threadId)
  if (!thread || (thread.archived && !options.includeArchived)) {
    throw notFound(`Thread ${threadId} does not exist in portal ${state.portalId}.`)
  }
  return thread
}

// Accepts 'A-111' or the bare user id '111'.
export const requireAgent = (state: StandInState, actorId: string): AgentRecord => {
  const agent = state.portal.agents.get(actorId.startsWith('A-') ? actorId : `A-${actorId}`)
  if (!agent) {
    const known = [...state.portal.agents.values()]
      .map((candidate) => `${candidate.actorId} (${candidate.name})`)
      .join(', ')
    throw notFound(`Agent ${actorId} does not exist in portal ${state.portalId}; agents: ${known}.`)
  }
  return agent
}

export const threadView = (thread: ThreadRecord) =>
  withoutUndefined({
    id: thread.id,
    status: thread.status,
    inboxId: thread.inboxId,
    associatedContactId: thread.associatedContactId,
    originalChannelId: thread.originalChannelId,
    originalChannelAccountId: thread.originalChannelAccountId,
    createdAt: thread.createdAt,
    archived: thread.archived,
    spam: thread.spam,
    assignedTo: thread.assignedTo,
    closedAt: thread.closedAt,
    latestMessageTimestamp: thread.latestMessageTimestamp,
    latestMessageSentTimestamp: thread.latestMessageSentTimestamp,
    latestMessageReceivedTimestamp: thread.latestMessageReceivedTimestamp,
  })

const toIso = (timestamp: string): string => {
  const parsed = Date.parse(timestamp)
  if (Number.isNaN(parsed)) throw validationError(`timestamp must be an ISO 8601 date-time, got "${timestamp}"`)
  return new Date(parsed).toISOString()
}

const identifierKey = (identifier: DeliveryIdentifier): string => `${identifier.type}:${identifier.value}`

// The customer behind a published message: the forced contact, else a contact matching the
// identifier by email or phone, else a visitor stable per channel account and identifier.
const resolveCustomer = (
  state: StandInState,
  account: ChannelAccountRecord,
  participant: { deliveryIdentifier: DeliveryIdentifier; name?: string } | undefined,
  associateWithContactId: number | undefined
): CustomerRef => {
  const identifier = participant?.deliveryIdentifier
  if (associateWithContactId !== undefined) {
    const contact = state.portal.contacts.get(String(associateWithContactId))
    if (!contact || contact.archived) {
      throw validationError(
        `associateWithContactId ${associateWithContactId} is not a contact of portal ${state.portalId}.`
      )
    }
    return {
      kind: 'contact',
      id: contact.id,
      actorId: `V-${contact.id}`,
      name: contactName(contact) ?? participant?.name,
      deliveryIdentifier: identifier,
    }
  }
  if (identifier) {
    const contact =
      identifier.type === 'HS_EMAIL_ADDRESS'
        ? contactByEmail(state, identifier.value)
        : identifier.type === 'HS_PHONE_NUMBER'
          ? contactByPhone(state, identifier.value)
          : undefined
    if (contact) {
      return {
        kind: 'contact',
        id: contact.id,
        actorId: `V-${contact.id}`,
        name: contactName(contact) ?? participant?.name,
        deliveryIdentifier: identifier,
      }
    }
  }
  const visitorKey = `${account.id}:${identifier ? identifierKey(identifier) : 'anonymous'}`
  let visitorId = state.portal.visitorKeys.get(visitorKey)
  if (!visitorId) {
    visitorId = state.portal.nextId('visitor')
    state.portal.visitorKeys.set(visitorKey, visitorId)
  }
  state.portal.visitors.set(visitorId, {
    id: visitorId,
    name: participant?.name ?? state.portal.visitors.get(visitorId)?.name,
    deliveryIdentifier: identifier,
  })
  return {
    kind: 'visitor',
    id: visitorId,
    actorId: `V-${visitorId}`,
    name: participant?.name,
    deliveryIdentifier: identifier,
  }
}

const threadingKey = (channel: ChannelRecord, input: PublishInput): string => {
  if (channel.capabilities.threadingModel === 'INTEGRATION_THREAD_ID') {
    if (!input.integrationThreadId) {
      throw validationError(
        `integrationThreadId is required: channel ${channel.id} uses threadingModel INTEGRATION_THREAD_ID.`
      )
    }
    return `thread:${input.integrationThreadId}`
  }
  const customer = input.messageDirection === 'INCOMING' ? input.senders[0] : input.recipients[0]
  if (!customer) {
    throw validationError(
      `recipients must name the customer: channel ${channel.id} uses threadingModel DELIVERY_IDENTIFIER.`
    )
  }
  return `identifier:${identifierKey(customer.deliveryIdentifier)}`
}

const resolveAttachment = (state: StandInState, attachment: PublishInput['attachments'][number]): StoredAttachment => {
  if (attachment.type !== 'FILE') return attachment
  const file = state.portal.files.get(attachment.fileId)
  if (!file || file.archived) {
    throw validationError(
      `attachments: file ${attachment.fileId} does not exist in the file manager of portal ${state.portalId}.`
    )
  }
  return {
    type: 'FILE',
    fileId: file.id,
    fileUsageType: attachment.fileUsageType ?? fileUsageTypeOf(file.contentType),
    name: fullNameOf(file),
    url: file.url,
  }
}

const createThread = (
  state: StandInState,
  channel: ChannelRecord,
  account: ChannelAccountRecord,
  customer: CustomerRef,
  integrationThreadId?: string
): ThreadRecord => {
  const thread: ThreadRecord = {
    id: state.portal.nextId('thread'),
    status: 'OPEN',
    inboxId: account.inboxId,
    associatedContactId: customer.id,
    originalChannelId: channel.id,
    originalChannelAccountId: account.id,
    createdAt: nowIso(),
    archived: false,
    spam: false,
    integrationThreadId,
    customer,
  }
  state.portal.threads.set(thread.id, thread)
  return thread
}

const noteLatestMessage = (thread: ThreadRecord, message: StoredMessage): void => {
  const later = (current: string | undefined) => (current && current > message.createdAt ? current : message.createdAt)
  thread.latestMessageTimestamp = later(thread.latestMessageTimestamp)
  if (message.direction === 'INCOMING') {
    thread.latestMessageReceivedTimestamp = later(thread.latestMessageReceivedTimestamp)
  } else thread.latestMessageSentTimestamp = later(thread.latestMessageSentTimestamp)
}

const participant = (
  actorId: string | undefined,
  name: string | undefined,
  deliveryIdentifier: DeliveryIdentifier | undefined
): Participant => withoutUndefined({ actorId, name, deliveryIdentifier })

// POST .../custom-channels/{channelId}/messages. Returns created=false for a repeated idempotency id.
export const publishMessage = (
  state: StandInState,
  channelId: string,
  input: PublishInput
): { message: StoredMessage; created: boolean } => {
  const channel = requireChannel(state, channelId)
  const account = state.portal.channelAccounts.get(input.channelAccountId)
  if (!account || account.channelId !== channel.id || account.archived) {
    throw validationError(
      `channelAccountId ${input.channelAccountId} is not a channel account of channel ${channel.id}.`
    )
  }
  if (!account.authorized) {
    throw validationError(
      `Channel account ${account.id} is not authorized; PATCH it with {"authorized": true} to publish.`
    )
  }

  const idempotencyKey = input.integrationIdempotencyId ? `${channel.id}:${input.integrationIdempotencyId}` : undefined
  const original = idempotencyKey
    ? state.portal.messageById.get(state.portal.idempotencyKeys.get(idempotencyKey) ?? '')
    : undefined
  if (original) return { message: original, created: false }

  const createdAt = input.timestamp ? toIso(input.timestamp) : nowIso()
  const fileCount = input.attachments.filter((attachment) => attachment.type === 'FILE').length
  const maxFiles = channel.capabilities.maxFileAttachmentCount
  if (maxFiles !== undefined && fileCount > maxFiles) {
    throw validationError(
      `Channel ${channel.id} accepts at most ${maxFiles} file attachment(s) per message, got ${fileCount}.`
    )
  }
  const attachments = input.attachments.map((attachment) => resolveAttachment(state, attachment))
  const incoming = input.messageDirection === 'INCOMING'
  const key = `${account.id}:${threadingKey(channel, input)}`
  const existingThread = state.portal.threads.get(state.portal.threadKeys.get(key) ?? '')
  const thread =
    existingThread && !existingThread.archived
      ? existingThread
      : createThread(
          state,
          channel,
          account,
          resolveCustomer(
            state,
            account,
            incoming ? input.senders[0] : input.recipients[0],
            input.associateWithContactId
          ),
          input.integrationThreadId
        )
  const isNewThread = thread !== existingThread
  state.portal.threadKeys.set(key, thread.id)

  const customer = thread.customer
  const senders = input.senders.map((sender, index) =>
    participant(
      incoming && index === 0 ? customer.actorId : sender.senderActorId,
      sender.name,
      sender.deliveryIdentifier
    )
  )
  const recipients = input.recipients.map((recipient, index) =>
    participant(
      !incoming && index === 0 ? customer.actorId : recipient.senderActorId,
      recipient.name,
      recipient.deliveryIdentifier
    )
  )
  const message: StoredMessage = withoutUndefined({
    ...newMessageRecord(thread, channel, account, createdAt),
    createdBy: incoming ? customer.actorId : (input.senders[0]?.senderActorId ?? `I-${state.app.appId}`),
    direction: input.messageDirection,
    text: input.text,
    richText: input.richText,
    inReplyToId: input.inReplyToId,
    senders,
    recipients,
    attachments,
    client: { clientType: 'INTEGRATION' as const, integrationAppId: Number(state.app.appId) },
    status: { statusType: incoming ? ('RECEIVED' as const) : ('SENT' as const) },
  })
  state.portal.addMessage(message)
  if (idempotencyKey) state.portal.idempotencyKeys.set(idempotencyKey, message.id)
  noteLatestMessage(thread, message)

  if (isNewThread) {
    emitThreadCreated(state, thread)
    scheduleAutoAssignment(state, thread)
  }
  if (incoming && thread.status === 'CLOSED' && state.settings.reopenOnIncoming) {
    setThreadStatus(state, thread, 'OPEN', 'CONVERSATIONS')
  }
  emitNewMessage(state, message)
  return { message, created: true }
}

// Routing rules (help desk) or an admin can assign a new thread within a second of its first
// message; settings.autoAssign does so after `delayMs` (0 included), if nobody took it meanwhile.
const scheduleAutoAssignment = (state: StandInState, thread: ThreadRecord): void => {
  const rule = state.settings.autoAssign
  if (!rule || (rule.inboxId && rule.inboxId !== thread.inboxId)) return
  const agent = state.portal.agents.get(rule.actorId)
  if (!agent) return
  setTimeout(() => {
    if (!thread.assignedTo && !thread.archived && state.portal.threads.get(thread.id) === thread) {
      assignThread(state, thread, agent, 'CONVERSATIONS')
    }
  }, rule.delayMs)
}

// Returns false when the thread already had that status: no timeline entry, no webhook.
export const setThreadStatus = (
  state: StandInState,
  thread: ThreadRecord,
  status: ThreadStatus,
  source: ChangeSource,
  actorId?: string
): boolean => {
  if (thread.status === status) return false
  const at = nowIso()
  thread.status = status
  thread.closedAt = status === 'CLOSED' ? at : undefined
  state.portal.addThreadEvent(
    thread.id,
    withoutUndefined({
      id: newMessageId(),
      type: 'THREAD_STATUS_CHANGE' as const,
      newStatus: status,
      createdAt: at,
      createdBy: actorId,
      archived: false as const,
    })
  )
  emitPropertyChange(state, thread.id, 'status', status, source)
  return true
}

// Returns false when the thread was already assigned to that agent.
export const assignThread = (
  state: StandInState,
  thread: ThreadRecord,
  agent: AgentRecord | null,
  source: ChangeSource
): boolean => {
  const previous = thread.assignedTo ?? null
  const next = agent?.actorId ?? null
  if (previous === next) return false
  thread.assignedTo = next ?? undefined
  state.portal.addThreadEvent(thread.id, {
    id: newMessageId(),
    type: 'ASSIGNMENT',
    assignedTo: next,
    assignedFrom: previous,
    createdAt: nowIso(),
    archived: false,
  })
  const value = agent ? (state.settings.assignedToFormat === 'bare' ? agent.userId : agent.actorId) : ''
  emitPropertyChange(state, thread.id, 'assignedTo', value, source)
  return true
}

export const archiveThread = (state: StandInState, thread: ThreadRecord): void => {
  if (thread.archived) return
  thread.archived = true
  emitThreadDeleted(state, thread.id)
}

export const restoreThread = (state: StandInState, thread: ThreadRecord): void => {
  if (!thread.archived) return
  thread.archived = false
  emitPropertyChange(state, thread.id, 'isArchived', 'false', 'API')
}

const htmlToText = (html: string): string =>
  html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim()

const mimeAllowed = (allowed: string[], contentType: string): boolean =>
  allowed.some((pattern) =>
    pattern.endsWith('/*') ? contentType.startsWith(pattern.slice(0, -1)) : pattern === contentType
  )

// HubSpot's composer refuses what the channel's capabilities rule out; so does the stand-in agent.
const checkAgentFiles = (channel: ChannelRecord, files: AgentFile[]): void => {
  if (files.length === 0) return
  const capabilities = channel.capabilities
  if (!capabilities.outgoingAttachmentTypes?.includes('FILE')) {
    throw validationError(
      `Channel ${channel.id} does not accept file attachments (capabilities.outgoingAttachmentTypes lacks FILE).`
    )
  }
  if (capabilities.maxFileAttachmentCount !== undefined && files.length > capabilities.maxFileAttachmentCount) {
    throw validationError(
      `Channel ${channel.id} accepts at most ${capabilities.maxFileAttachmentCount} attachment(s) per message.`
    )
  }
  for (const file of files) {
    if (
      capabilities.allowedFileAttachmentMimeTypes &&
      !mimeAllowed(capabilities.allowedFileAttachmentMimeTypes, file.contentType)
    ) {
      throw validationError(
        `Channel ${channel.id} does not accept ${file.contentType} attachments (allowed: ${capabilities.allowedFileAttachmentMimeTypes.join(', ')}).`
      )
    }
    if (
      capabilities.maxFileAttachmentSizeBytes !== undefined &&
      file.data.length > capabilities.maxFileAttachmentSizeBytes
    ) {
      throw validationError(
        `${file.name} is ${file.data.length} bytes; channel ${channel.id} accepts at most ${capabilities.maxFileAttachmentSizeBytes}.`
      )
    }
  }
  const total = files.reduce((sum, file) => sum + file.data.length, 0)
  if (
    capabilities.maxTotalFileAttachmentSizeBytes !== undefined &&
    total > capabilities.maxTotalFileAttachmentSizeBytes
  ) {
    throw validationError(
      `Attachments total ${total} bytes; channel ${channel.id} accepts at most ${capabilities.maxTotalFileAttachmentSizeBytes}.`
    )
  }
}

// What every message of a thread carries, whoever wrote it.
const newMessageRecord = (
  thread: ThreadRecord,
  channel: ChannelRecord,
  account: ChannelAccountRecord,
  createdAt: string
) => ({
  id: newMessageId(),
  type: 'MESSAGE' as const,
  conversationsThreadId: thread.id,
  channelId: channel.id,
  channelAccountId: account.id,
  createdAt,
  updatedAt: createdAt,
  archived: false,
  truncationStatus: 'NOT_TRUNCATED' as const,
})

// An agent answers in HubSpot's inbox: an OUTGOING message without status until the integration reports delivery.
export const replyAsAgent = (state: StandInState, threadId: string, reply: AgentReply): StoredMessage => {
  const thread = requireThread(state, threadId)
  const agent = requireAgent(state, reply.actorId)
  const channel = state.portal.channels.get(thread.originalChannelId)
  const account = state.portal.channelAccounts.get(thread.originalChannelAccountId)
  if (!channel || channel.archived || !account || account.archived) {
    throw validationError(
      `Thread ${thread.id} belongs to a channel or channel account that was archived; agents cannot reply in it.`
    )
  }
  if (channel.capabilities.allowOutgoingMessages === false) {
    throw validationError(`Channel ${channel.id} does not allow outgoing messages.`)
  }
  const files = reply.files ?? []
  const text = reply.text ?? (reply.richText ? htmlToText(reply.richText) : '')
  if (text === '' && !reply.richText && files.length === 0) {
    throw validationError('An agent reply needs text, richText or files.')
  }
  checkAgentFiles(channel, files)

  const attachments: StoredAttachment[] = files.map((input) => {
    const file = storeFile(state, {
      fileName: input.name,
      contentType: input.contentType,
      data: input.data,
      access: input.hidden ? 'HIDDEN_PRIVATE' : 'PRIVATE',
      folderPath: '/conversations/attachments',
    })
    return {
      type: 'FILE',
      fileId: file.id,
      name: fullNameOf(file),
      url: file.url,
      fileUsageType: fileUsageTypeOf(file.contentType),
    }
  })
  const createdAt = nowIso()
  const customer = thread.customer
  const message: StoredMessage = withoutUndefined({
    ...newMessageRecord(thread, channel, account, createdAt),
    createdBy: agent.actorId,
    direction: 'OUTGOING' as const,
    text,
    richText: reply.richText ?? (text ? `<div>${escapeHtml(text)}</div>` : undefined),
    senders: [participant(agent.actorId, agent.name, account.deliveryIdentifier)],
    recipients: [participant(customer.actorId, customer.name, customer.deliveryIdentifier)],
    attachments,
    client: { clientType: 'HUBSPOT' as const },
    // HubSpot's public example of an agent message already carries status SENT.
    status: state.settings.agentReplyStatus ? { statusType: state.settings.agentReplyStatus } : undefined,
  })
  state.portal.addMessage(message)
  noteLatestMessage(thread, message)
  emitAgentMessage(state, channel, thread, message)
  emitNewMessage(state, message)
  return message
}
