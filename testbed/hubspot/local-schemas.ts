// Wire formats the stand-in serves that src/hubspot/schemas.ts does not define (the integration
// does not call these endpoints), plus the stand-in's own control API bodies.
import { z } from 'zod'
import { actorSchema, threadSchema } from '../../src/hubspot/schemas'
import { rateLimitPolicies } from './errors'

const pagingSchema = z.object({ next: z.object({ after: z.string() }) }).optional()

export const refreshTokenInfoSchema = z.object({
  token: z.string(),
  user: z.string().optional(),
  hub_domain: z.string().optional(),
  scopes: z.array(z.string()),
  hub_id: z.number().int(),
  client_id: z.string(),
  user_id: z.number().int(),
  token_type: z.literal('refresh'),
})

// GET /oauth/v1/access-tokens/{token}: served until its removal on 2027-02-16; the integration no longer calls it.
export const accessTokenInfoSchema = z.object({
  token: z.string(),
  scopes: z.array(z.string()),
  hub_id: z.number().int(),
  app_id: z.number().int(),
  expires_in: z.number().int(),
  user_id: z.number().int().optional(),
  user: z.string().optional(),
  hub_domain: z.string().optional(),
  token_type: z.string().optional(),
})

export const threadListSchema = z.object({ results: z.array(threadSchema), paging: pagingSchema })

export const assigneeUpdateSchema = z.object({ actorId: z.string().min(1) })

export const actorBatchReadSchema = z.object({ inputs: z.array(z.string().min(1)).min(1).max(100) })

export const actorBatchResponseSchema = z.object({
  status: z.literal('COMPLETE'),
  results: z.array(actorSchema),
  errors: z
    .array(
      z.object({
        status: z.string(),
        category: z.string(),
        message: z.string(),
        context: z.record(z.array(z.string())).optional(),
      })
    )
    .optional(),
  numErrors: z.number().int().optional(),
  requestedAt: z.string().optional(),
  startedAt: z.string(),
  completedAt: z.string(),
})

export const legacyUploadResponseSchema = z.object({
  objects: z
    .array(z.object({ id: z.number().int(), name: z.string(), url: z.string(), size: z.number() }).passthrough())
    .min(1),
})

export const conversationEventTypes = [
  'conversation.creation',
  'conversation.deletion',
  'conversation.newMessage',
  'conversation.privacyDeletion',
  'conversation.propertyChange',
  'contact.creation',
  'contact.deletion',
  'contact.propertyChange',
] as const

export const webhookSettingsUpdateSchema = z.object({
  targetUrl: z.string().url(),
  throttling: z.object({
    maxConcurrentRequests: z.number().int().min(1).max(100),
    period: z.enum(['SECONDLY', 'ROLLING_MINUTE']).optional(),
  }),
})

export const webhookSettingsSchema = webhookSettingsUpdateSchema.extend({
  createdAt: z.string(),
  updatedAt: z.string(),
})

export const subscriptionCreateSchema = z.object({
  eventType: z.enum(conversationEventTypes),
  propertyName: z.string().min(1).optional(),
  active: z.boolean(),
})

export const subscriptionPatchSchema = z.object({ active: z.boolean() })

export const subscriptionSchema = z.object({
  id: z.string(),
  eventType: z.string(),
  propertyName: z.string().optional(),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
})

export const subscriptionListSchema = z.object({ results: z.array(subscriptionSchema) })

// Control API (/_testbed)

export const controlAssignSchema = z.object({ actorId: z.string().min(1).nullable() })

export const controlReplySchema = z.object({
  actorId: z.string().min(1),
  text: z.string().optional(),
  richText: z.string().optional(),
  files: z
    .array(
      z.object({
        name: z.string().min(1),
        contentType: z.string().min(1),
        base64: z.string(),
        hidden: z.boolean().optional(),
      })
    )
    .default([]),
})

const requestMatchSchema = {
  method: z.string().optional(),
  path: z.string().optional(),
  // A regular expression source, for matches a plain substring cannot express.
  pathRegex: z.string().optional(),
}

export const controlFaultsSchema = z.object({
  api: z
    .array(
      z.object({
        ...requestMatchSchema,
        status: z.number().int().min(400).max(599),
        count: z.number().int().min(1).default(1),
        retryAfterSeconds: z.number().int().min(0).optional(),
        policyName: z.enum(rateLimitPolicies).optional(),
        delayMs: z.number().int().min(0).optional(),
      })
    )
    .default([]),
  latency: z.object({ ms: z.number().int().min(0), ...requestMatchSchema }).optional(),
  expireAccessTokens: z.boolean().optional(),
  revokeRefreshToken: z.string().optional(),
  webhooks: z
    .object({
      duplicateRate: z.number().min(0).max(1).optional(),
      reorderWindowMs: z.number().int().min(0).optional(),
      duplicateNext: z.number().int().min(0).optional(),
      reorderNext: z.number().int().min(0).optional(),
    })
    .optional(),
  clear: z.boolean().optional(),
})
export type ControlFaults = z.infer<typeof controlFaultsSchema>

export const controlSettingsSchema = z
  .object({
    assignedToFormat: z.enum(['bare', 'prefixed']),
    denyAuthorize: z.boolean(),
    consentPage: z.boolean(),
    rateLimitPer10s: z.number().int().min(1),
    searchRateLimitPerSecond: z.number().int().min(1),
    phoneMatch: z.enum(['digits', 'exact']),
    searchIndexDelayMs: z.number().int().min(0),
    reopenOnIncoming: z.boolean(),
    tokenTtlSeconds: z.number().int().min(1),
    webhookRetryDelaysMs: z.array(z.number().int().min(0)),
    webhookTimeoutMs: z.number().int().min(1),
    webhookConcurrency: z.number().int().min(1).max(100),
    hideNewChannelsForListCalls: z.number().int().min(0),
    appKind: z.enum(['project', 'legacy']),
    today: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .nullable(),
    refreshTokenRotation: z.boolean(),
    projectConversationSection: z.enum(['crmObjects', 'legacyCrmObjects', 'hubEvents']),
    agentReplyStatus: z.enum(['SENT']).nullable(),
    autoAssign: z
      .object({
        actorId: z.string().regex(/^A-\d+$/),
        delayMs: z.number().int().min(0),
        inboxId: z.string().optional(),
      })
      .nullable(),
    capabilityLimits: z.object({
      maxFileAttachmentCount: z.number().int(),
      maxFileAttachmentSizeBytes: z.number().int(),
      maxTotalFileAttachmentSizeBytes: z.number().int(),
    }),
  })
  .partial()
  .strict()

export const controlProjectSchema = z.object({ files: z.record(z.string()) })

export const controlRefreshTokenSchema = z.object({ scopes: z.array(z.string().min(1)).optional() })

export const controlAppWebhooksSchema = z.object({
  targetUrl: z.string().url(),
  subscriptions: z
    .array(z.object({ eventType: z.enum(conversationEventTypes), propertyName: z.string().optional() }))
    .optional(),
})
