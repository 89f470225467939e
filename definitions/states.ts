import { z } from '@botpress/sdk'
import { appKinds } from './configuration'

export const setupStateSchema = z.object({
  webhookUrl: z.string().title('Webhook URL').describe('Webhook URL the custom channel was registered with'),
  channelId: z.string().title('Channel ID').describe('ID of the HubSpot custom channel owned by this integration'),
  channelAccounts: z
    .record(z.string())
    .title('Channel accounts')
    .describe('Channel account ID of each connected inbox, keyed by inbox ID'),
  portalId: z.string().optional().title('Portal ID').describe('ID of the HubSpot portal (hub ID) the token belongs to'),
  appKind: z
    .enum(appKinds)
    .optional()
    .title('App kind')
    .describe('Kind of the HubSpot app the setup was made for: project or legacy'),
  removedSibling: z
    .object({
      channelId: z.string(),
      webhookUrl: z.string(),
      heirChannelId: z.string(),
      heirWebhookUrl: z.string(),
      appKind: z.enum(appKinds),
    })
    .optional()
    .title('Removed sibling')
    .describe(
      'Another installation of the app that was removed while the app may still send its webhooks to it; said again at each register until app events arrive'
    ),
})

export const oauthStateSchema = z.object({
  refreshToken: z
    .string()
    .optional()
    .title('Refresh token')
    .describe('Refresh token obtained through the Connect HubSpot page'),
  accessToken: z.string().optional().title('Access token').describe('Latest access token'),
  expiresAt: z.number().optional().title('Expires at').describe('Expiry of the access token, epoch milliseconds'),
  refreshAt: z
    .number()
    .optional()
    .title('Refresh at')
    .describe('When to refresh the access token ahead of its expiry, epoch milliseconds'),
  tokenOf: z
    .string()
    .optional()
    .title('Token owner')
    .describe('Fingerprint of the refresh token the access token was obtained with'),
  portalId: z.string().optional().title('Portal ID').describe('Hub ID reported with the token'),
  rotatedFrom: z
    .string()
    .optional()
    .title('Rotated from')
    .describe('Fingerprint of the configured refresh token the stored one replaced when HubSpot rotated it'),
})

export const connectStateSchema = z.object({
  usedStates: z
    .array(z.string())
    .title('Used approvals')
    .describe('Nonces of the OAuth approvals already used on the connect page, so none is used twice'),
})

export const inboxChoiceStateSchema = z.object({
  defaultInboxId: z
    .string()
    .title('Default inbox ID')
    .describe('Inbox the bot builder picked on the connection page, used while the configuration names none'),
  portalId: z.string().title('Portal ID').describe('HubSpot portal the inbox belongs to'),
})

export const lockStateSchema = z.object({
  owner: z
    .string()
    .title('Owner')
    .describe('The invocation that handles an event of this session now; it expires on its own'),
})

export const states = {
  setup: {
    type: 'integration',
    schema: setupStateSchema,
  },
  oauth: {
    type: 'integration',
    schema: oauthStateSchema,
  },
  connect: {
    type: 'integration',
    schema: connectStateSchema,
  },
  inboxChoice: {
    type: 'integration',
    schema: inboxChoiceStateSchema,
  },
  lock: {
    type: 'conversation',
    schema: lockStateSchema,
  },
} as const

export type SetupState = z.infer<typeof setupStateSchema>
export type OAuthState = z.infer<typeof oauthStateSchema>
export type ConnectState = z.infer<typeof connectStateSchema>
export type InboxChoiceState = z.infer<typeof inboxChoiceStateSchema>
export type LockState = z.infer<typeof lockStateSchema>
