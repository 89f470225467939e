import { z } from '@botpress/sdk'

export const contactPolicies = ['create', 'anonymous', 'refuse'] as const
export const languages = ['en', 'fr', 'es', 'de'] as const

const inboxId = z.string().regex(/^\d+$/, 'An inbox ID is a number, as shown in the inbox URL in HubSpot')

export const configurationSchema = z.object({
  clientId: z
    .string()
    .min(1)
    .title('Client ID')
    .describe('Client ID of your HubSpot public app (Apps > your app > Auth)'),
  clientSecret: z
    .string()
    .min(1)
    .secret()
    .title('Client secret')
    .describe('Client secret of your HubSpot public app; it also verifies the signature of every HubSpot webhook'),
  appId: z
    .string()
    .regex(/^\d+$/, 'The app ID is a number')
    .title('App ID')
    .describe('Numeric ID of your HubSpot public app, shown in the app URL and on its Auth page'),
  developerApiKey: z
    .string()
    .min(1)
    .secret()
    .title('Developer API key')
    .describe('Developer API key of your HubSpot developer account; HubSpot requires it to create the custom channel'),
  refreshToken: z
    .string()
    .secret()
    .optional()
    .title('Refresh token (optional)')
    .describe(
      'OAuth refresh token of the HubSpot portal. Leave empty and use the "Connect HubSpot" page at <webhook URL>/oauth/start instead; when filled, it takes precedence'
    ),
  defaultInboxId: inboxId
    .title('Default inbox ID')
    .describe('ID of the HubSpot inbox (or help desk) that receives escalations unless a session names another one'),
  additionalInboxIds: z
    .array(inboxId)
    .default([])
    .title('Other inbox IDs')
    .describe('IDs of further inboxes a session may be routed to with hitlSession.inboxId'),
  contactPolicy: z
    .enum(contactPolicies)
    .default('create')
    .title('When no contact matches')
    .describe(
      'What to do when the customer email or phone matches no HubSpot contact: create the contact, continue as an anonymous visitor, or refuse the escalation'
    ),
  defaultCountry: z
    .string()
    .regex(/^[A-Z]{2}$/, 'Use a two-letter country code such as US or FR')
    .optional()
    .title('Default phone country')
    .describe('Two-letter country code used to read phone numbers written without an international prefix (e.g. US, FR)'),
  language: z
    .enum(languages)
    .default('en')
    .title('Language')
    .describe('Language of the texts the integration writes into HubSpot threads (transcript labels, notices)'),
})

export type Configuration = z.infer<typeof configurationSchema>
