// HubSpot wire formats, written once: the client parses every response with these, and the
// HubSpot stand-in in testbed/ validates every request and builds every response with them.
// Only what the integration reads is required; everything else HubSpot may add is tolerated.
import { z } from 'zod'

const id = z.union([z.string(), z.number()]).transform(String)
const isoDate = z.string()

// OAuth (/oauth/2026-03/: every parameter in a form body, never in the URL)

const clientCredentials = { client_id: z.string().min(1), client_secret: z.string().min(1) }

export const tokenRequestSchema = z.discriminatedUnion('grant_type', [
  z.object({
    grant_type: z.literal('refresh_token'),
    ...clientCredentials,
    refresh_token: z.string().min(1),
    redirect_uri: z.string().optional(),
    scope: z.string().optional(),
  }),
  z.object({
    grant_type: z.literal('authorization_code'),
    ...clientCredentials,
    redirect_uri: z.string().min(1),
    code: z.string().min(1),
    code_verifier: z.string().optional(),
  }),
])
export type TokenRequest = z.infer<typeof tokenRequestSchema>

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  // Always present for these grants; it may differ from the one sent (rotation), so it is stored.
  refresh_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  token_type: z.string(),
  token_use: z.string().optional(),
  hub_id: z.number().int().optional(),
  user_id: z.number().int().optional(),
  scopes: z.array(z.string()).optional(),
})
export type TokenResponse = z.infer<typeof tokenResponseSchema>

// Introspection and revocation take the token in the body, with the app's credentials.
export const tokenBodySchema = z.object({
  ...clientCredentials,
  token: z.string().min(1),
  token_type_hint: z.enum(['access_token', 'refresh_token']).optional(),
})
export type TokenBody = z.infer<typeof tokenBodySchema>

// An inactive (expired, revoked or unknown) token is only { active: false }.
export const tokenIntrospectionSchema = z
  .object({
    active: z.boolean(),
    token_use: z.string().optional(),
    scopes: z.array(z.string()).optional(),
    hub_id: z.number().int().optional(),
    app_id: z.number().int().optional(),
    client_id: z.string().optional(),
    expires_in: z.number().int().optional(),
    user_id: z.number().int().optional(),
    hub_domain: z.string().optional(),
    is_private_distribution: z.boolean().optional(),
  })
  .passthrough()
export type TokenIntrospection = z.infer<typeof tokenIntrospectionSchema>

// HubSpot's OAuth errors come in the RFC 6749 shape, the legacy one, or both at once.
export const tokenErrorSchema = z.object({
  status: z.string().optional(),
  message: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
  category: z.string().optional(),
  correlationId: z.string().optional(),
})
export type TokenError = z.infer<typeof tokenErrorSchema>

// Errors

export const errorEnvelopeSchema = z.object({
  status: z.string().optional(),
  message: z.string().optional(),
  correlationId: z.string().optional(),
  category: z.string().optional(),
  subCategory: z.string().optional(),
  errorType: z.string().optional(),
  policyName: z.string().optional(),
  // OAuth errors (RFC 6749 shape), next to or instead of status/message.
  error: z.string().optional(),
  error_description: z.string().optional(),
  errors: z
    .array(
      z.object({
        message: z.string().optional(),
        code: z.string().optional(),
        context: z.record(z.array(z.string())).optional(),
      })
    )
    .optional(),
  context: z.record(z.array(z.string())).optional(),
})
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>

// Paging

const pagingSchema = z
  .object({ next: z.object({ after: z.string(), link: z.string().optional() }).optional() })
  .optional()

// HubSpot's paged list envelope.
const pageOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ results: z.array(item), total: z.number().int().optional(), paging: pagingSchema })

// Custom channels

export const deliveryIdentifierTypes = [
  'HS_EMAIL_ADDRESS',
  'HS_PHONE_NUMBER',
  'CHANNEL_SPECIFIC_OPAQUE_ID',
  'HS_SHORT_CODE',
] as const
export const deliveryIdentifierSchema = z.object({
  type: z.enum(deliveryIdentifierTypes),
  value: z.string().min(1),
})
export type DeliveryIdentifier = z.infer<typeof deliveryIdentifierSchema>

export const richTextCapabilities = [
  'BOLD',
  'ITALIC',
  'UNDERLINE',
  'STRIKETHROUGH',
  'TEXT_ALIGNMENT',
  'BLOCKQUOTE',
  'HYPERLINK',
  'IMAGE',
  'UNORDERED_LIST',
  'ORDERED_LIST',
] as const

export const channelCapabilitiesSchema = z.object({
  deliveryIdentifierTypes: z.array(z.enum(deliveryIdentifierTypes)).min(1),
  threadingModel: z.enum(['INTEGRATION_THREAD_ID', 'DELIVERY_IDENTIFIER']),
  allowInlineImages: z.boolean().optional(),
  allowOutgoingMessages: z.boolean().optional(),
  allowConversationStart: z.boolean().optional(),
  allowMultipleRecipients: z.boolean().optional(),
  outgoingAttachmentTypes: z.array(z.enum(['FILE'])).optional(),
  allowedFileAttachmentMimeTypes: z.array(z.string()).optional(),
  maxFileAttachmentCount: z.number().int().optional(),
  maxFileAttachmentSizeBytes: z.number().int().optional(),
  maxTotalFileAttachmentSizeBytes: z.number().int().optional(),
  richText: z.array(z.enum(richTextCapabilities)).optional(),
})
export type ChannelCapabilities = z.infer<typeof channelCapabilitiesSchema>

export const channelCreateSchema = z.object({
  name: z.string().min(1),
  capabilities: channelCapabilitiesSchema,
  webhookUrl: z.string().url().optional(),
  channelAccountConnectionRedirectUrl: z.string().optional(),
  channelDescription: z.string().optional(),
  channelLogoUrl: z.string().optional(),
})
export type ChannelCreate = z.infer<typeof channelCreateSchema>

export const channelSchema = z.object({
  id,
  name: z.string(),
  capabilities: z.record(z.unknown()),
  createdAt: isoDate,
  webhookUrl: z.string().optional(),
  channelDescription: z.string().optional(),
  channelLogoUrl: z.string().optional(),
  channelAccountConnectionRedirectUrl: z.string().optional(),
})
export type Channel = z.infer<typeof channelSchema>

export const channelListSchema = pageOf(channelSchema)

export const channelAccountCreateSchema = z.object({
  inboxId: id,
  name: z.string().min(1),
  authorized: z.boolean(),
  deliveryIdentifier: deliveryIdentifierSchema.optional(),
})
export type ChannelAccountCreate = z.infer<typeof channelAccountCreateSchema>

export const channelAccountSchema = z.object({
  id,
  channelId: id,
  inboxId: id,
  name: z.string(),
  active: z.boolean().optional(),
  authorized: z.boolean(),
  archived: z.boolean().optional(),
  createdAt: isoDate.optional(),
  deliveryIdentifier: deliveryIdentifierSchema.optional().nullable(),
})
export type ChannelAccount = z.infer<typeof channelAccountSchema>

export const channelAccountListSchema = pageOf(channelAccountSchema)

// Messages

export const fileUsageTypes = ['AUDIO', 'IMAGE', 'OTHER', 'STICKER', 'VOICE_RECORDING'] as const
export type FileUsageType = (typeof fileUsageTypes)[number]

export const outgoingAttachmentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('FILE'), fileId: id, fileUsageType: z.enum(fileUsageTypes).optional() }),
  z.object({
    type: z.literal('LOCATION'),
    latitude: z.number(),
    longitude: z.number(),
    name: z.string().optional(),
    address: z.string().optional(),
    url: z.string().optional(),
  }),
  z.object({ type: z.literal('UNSUPPORTED_CONTENT') }),
  z.object({ type: z.literal('MESSAGE_HEADER'), text: z.string().optional(), fileId: id.optional() }),
  z.object({
    type: z.literal('QUICK_REPLIES'),
    quickReplies: z.array(
      z.object({ value: z.string(), valueType: z.enum(['TEXT', 'URL']), label: z.string().optional() })
    ),
  }),
])
export type OutgoingAttachment = z.infer<typeof outgoingAttachmentSchema>

const participantSchema = z.object({
  deliveryIdentifier: deliveryIdentifierSchema,
  name: z.string().optional(),
  senderActorId: z.string().optional(),
})

export const publishMessageSchema = z.object({
  type: z.literal('MESSAGE').optional(),
  text: z.string(),
  richText: z.string().optional(),
  messageDirection: z.enum(['INCOMING', 'OUTGOING']),
  channelAccountId: id,
  integrationThreadId: z.string().min(1).optional(),
  integrationIdempotencyId: z.string().min(1).optional(),
  inReplyToId: z.string().optional(),
  timestamp: isoDate.optional(),
  senders: z.array(participantSchema).min(1),
  recipients: z.array(participantSchema).default([]),
  attachments: z.array(outgoingAttachmentSchema).default([]),
  associateWithContactId: z.number().int().optional(),
})
export type PublishMessage = z.input<typeof publishMessageSchema>

// HubSpot may write an absent value as null rather than leave it out: in what HubSpot sends us,
// every optional field takes both, and null reads as absent.
const maybe = <T extends z.ZodTypeAny>(schema: T) =>
  schema.nullish().transform((value): z.output<T> | undefined => value ?? undefined)
const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((value): z.output<T>[] => value ?? [])

// An attachment as HubSpot reports it: agent files carry a name and a URL to download from.
export const messageAttachmentSchema = z
  .object({
    type: z.string(),
    fileId: maybe(id),
    fileUsageType: maybe(z.string()),
    name: maybe(z.string()),
    url: maybe(z.string()),
    latitude: maybe(z.number()),
    longitude: maybe(z.number()),
  })
  .passthrough()
export type MessageAttachment = z.infer<typeof messageAttachmentSchema>

export const messageStatusTypes = ['SENT', 'FAILED', 'READ', 'RECEIVED'] as const

const messageParticipantSchema = z.object({
  actorId: maybe(z.string()),
  name: maybe(z.string()),
  deliveryIdentifier: maybe(z.object({ type: maybe(z.enum(deliveryIdentifierTypes)), value: maybe(z.string()) })),
})

export const messageSchema = z.object({
  id: z.string(),
  type: z.literal('MESSAGE'),
  conversationsThreadId: id,
  channelId: maybe(id),
  channelAccountId: maybe(id),
  createdAt: isoDate,
  createdBy: maybe(z.string()),
  direction: z.enum(['INCOMING', 'OUTGOING']),
  text: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  richText: maybe(z.string()),
  subject: maybe(z.string()),
  inReplyToId: maybe(z.string()),
  senders: listOf(messageParticipantSchema),
  recipients: listOf(messageParticipantSchema),
  attachments: listOf(messageAttachmentSchema),
  client: maybe(z.object({ clientType: z.string(), integrationAppId: maybe(z.number()) })),
  status: maybe(
    z.object({
      statusType: z.enum(messageStatusTypes),
      failureDetails: maybe(z.object({ errorMessage: maybe(z.string()) }).passthrough()),
    })
  ),
  archived: maybe(z.boolean()),
  truncationStatus: maybe(z.string()),
})
export type Message = z.infer<typeof messageSchema>

// Current spec body, and the earliest one; HubSpot accepts both.
export const messageStatusUpdateSchema = z.union([
  z.object({ statusType: z.enum(['SENT', 'FAILED', 'READ']), errorMessage: z.string().optional() }),
  z.object({
    status: z.object({
      statusType: z.enum(['SENT', 'FAILED', 'READ']),
      timestamp: isoDate.optional(),
      failureDetails: z
        .object({ type: z.string().optional(), errorMessage: z.string().optional() })
        .passthrough()
        .optional(),
    }),
  }),
])
export type MessageStatusUpdate = z.infer<typeof messageStatusUpdateSchema>

// Conversations: threads, thread messages, actors, inboxes

export const threadSchema = z.object({
  id,
  status: z.enum(['OPEN', 'CLOSED']),
  inboxId: id.optional(),
  associatedContactId: id.optional().nullable(),
  originalChannelId: id.optional().nullable(),
  originalChannelAccountId: id.optional().nullable(),
  createdAt: isoDate,
  closedAt: isoDate.optional().nullable(),
  archived: z.boolean().optional(),
  spam: z.boolean().optional(),
  assignedTo: z.string().optional().nullable(),
})
export type Thread = z.infer<typeof threadSchema>

export const threadUpdateSchema = z.object({
  status: z.enum(['OPEN', 'CLOSED']).optional(),
  archived: z.boolean().optional(),
})

// A thread's timeline mixes messages with other entries; only messages and status changes matter here.
export const threadEntrySchema = z.union([
  messageSchema,
  z
    .object({
      id: z.string(),
      type: z.literal('THREAD_STATUS_CHANGE'),
      newStatus: z.enum(['OPEN', 'CLOSED']),
      createdAt: isoDate,
    })
    .passthrough(),
  z.object({ id: z.string(), type: z.string(), createdAt: isoDate.optional() }).passthrough(),
])
export type ThreadEntry = z.infer<typeof threadEntrySchema>

export const threadMessagesSchema = z.object({
  results: z.array(threadEntrySchema),
  paging: pagingSchema,
})

export const actorSchema = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string().optional().nullable(),
  email: z.string().optional().nullable(),
  avatar: z.string().optional().nullable(),
})
export type Actor = z.infer<typeof actorSchema>

export const inboxSchema = z.object({
  id,
  name: z.string(),
  type: z.string().optional(),
  archived: z.boolean().optional(),
})
export type Inbox = z.infer<typeof inboxSchema>

export const inboxListSchema = pageOf(inboxSchema)

// CRM contacts

export const contactSchema = z.object({
  id,
  properties: z.record(z.string().nullable().optional()),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
  archived: z.boolean().optional(),
})
export type Contact = z.infer<typeof contactSchema>

export const contactSearchFilterSchema = z.object({
  propertyName: z.string(),
  operator: z.enum([
    'EQ',
    'NEQ',
    'LT',
    'LTE',
    'GT',
    'GTE',
    'BETWEEN',
    'IN',
    'NOT_IN',
    'HAS_PROPERTY',
    'NOT_HAS_PROPERTY',
    'CONTAINS_TOKEN',
    'NOT_CONTAINS_TOKEN',
  ]),
  value: z.string().optional(),
  values: z.array(z.string()).optional(),
})

// PublicObjectSearchRequest: HubSpot's OpenAPI file marks every one of these fields required.
export const contactSearchRequestSchema = z.object({
  filterGroups: z.array(z.object({ filters: z.array(contactSearchFilterSchema).max(6) })).max(5),
  properties: z.array(z.string()),
  limit: z.number().int().min(1).max(200),
  after: z.string(),
  sorts: z.array(z.string()),
  query: z.string().optional(),
})
export type ContactSearchRequest = z.infer<typeof contactSearchRequestSchema>

export const contactSearchResponseSchema = z.object({
  total: z.number().int(),
  results: z.array(contactSchema),
  paging: pagingSchema,
})

export const contactCreateSchema = z.object({
  properties: z.record(z.string()),
})

// Files

export const fileUploadOptionsSchema = z.object({
  access: z.enum([
    'PUBLIC_INDEXABLE',
    'PUBLIC_NOT_INDEXABLE',
    'PRIVATE',
    'HIDDEN_INDEXABLE',
    'HIDDEN_NOT_INDEXABLE',
    'HIDDEN_PRIVATE',
    'HIDDEN_SENSITIVE',
    'SENSITIVE',
  ]),
  ttl: z.string().optional(),
  overwrite: z.boolean().optional(),
  duplicateValidationStrategy: z.enum(['NONE', 'REJECT', 'RETURN_EXISTING']).optional(),
  duplicateValidationScope: z.enum(['ENTIRE_PORTAL', 'EXACT_FOLDER']).optional(),
})

export const fileSchema = z.object({
  id,
  access: z.string().optional(),
  name: z.string().optional(),
  extension: z.string().optional(),
  type: z.string().optional(),
  size: z.number().optional(),
  url: z.string().optional(),
  createdAt: isoDate.optional(),
  updatedAt: isoDate.optional(),
  archived: z.boolean().optional(),
})
export type HubSpotFile = z.infer<typeof fileSchema>

export const signedUrlSchema = z.object({ url: z.string(), expiresAt: isoDate.optional() })

// Webhooks

// Sent by HubSpot to the custom channel's webhookUrl, one object per request, signed v3.
export const outgoingMessageEventSchema = z.object({
  type: z.literal('OUTGOING_CHANNEL_MESSAGE_CREATED'),
  eventId: maybe(z.string()),
  eventTimestamp: maybe(z.union([z.string(), z.number()])),
  portalId: maybe(id),
  channelId: maybe(id),
  channelAccountId: maybe(id),
  channelIntegrationThreadIds: listOf(z.string()),
  message: messageSchema,
})
export type OutgoingMessageEvent = z.infer<typeof outgoingMessageEventSchema>

export const channelAccountEventSchema = z.object({
  type: z.enum(['CHANNEL_ACCOUNT_CREATED', 'CHANNEL_ACCOUNT_UPDATED', 'CHANNEL_ACCOUNT_PURGED']),
  portalId: id.optional(),
  channelId: id.optional(),
  channelAccountId: id.optional(),
})

export const channelWebhookSchema = z.union([
  outgoingMessageEventSchema,
  channelAccountEventSchema,
  // A kind this integration does not handle is passed over; a malformed message event is refused.
  z.object({ type: z.string().refine((type) => type !== 'OUTGOING_CHANNEL_MESSAGE_CREATED') }).passthrough(),
])
export type ChannelWebhook = z.infer<typeof channelWebhookSchema>

// Sent by the app's webhook subscriptions, in arrays, signed v1 (and v3 for public apps).
export const appWebhookEventSchema = z.object({
  eventId: maybe(z.union([z.number(), z.string()])),
  subscriptionId: maybe(z.number()),
  portalId: id,
  appId: maybe(z.number()),
  occurredAt: z.number(),
  subscriptionType: z.string(),
  attemptNumber: maybe(z.number()),
  objectId: id,
  propertyName: maybe(z.string()),
  propertyValue: maybe(z.string()),
  changeSource: maybe(z.string()),
  changeFlag: maybe(z.string()),
  messageId: maybe(z.string()),
  messageType: maybe(z.string()),
})
export type AppWebhookEvent = z.infer<typeof appWebhookEventSchema>

export const appWebhookBatchSchema = z.array(z.unknown()).max(1000)
