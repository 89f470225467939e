import { z } from '@botpress/sdk'

export const contactPolicies = ['create', 'anonymous', 'refuse'] as const
export const languages = ['en', 'fr', 'es', 'de'] as const
export const appKinds = ['project', 'legacy'] as const
export type AppKind = (typeof appKinds)[number]

const inboxId = z.string().regex(/^\d+$/, 'An inbox ID is a number, as shown in the inbox URL in HubSpot')

// The manual configuration: the bot builder's own HubSpot app (bring your own app). Installations
// made before one-click existed carry exactly these fields; they are this configuration unchanged.
export const configurationSchema = z.object({
  clientId: z
    .string()
    .min(1)
    .title('Client ID')
    .describe('Client ID of your HubSpot app (Development > Projects > your project > the app > Auth)'),
  clientSecret: z
    .string()
    .min(1)
    .secret()
    .title('Client secret')
    .describe(
      'Client secret of your HubSpot app (same Auth tab); it also verifies the signature of every HubSpot webhook'
    ),
  appId: z
    .string()
    .regex(/^\d+$/, 'The app ID is a number')
    .title('App ID')
    .describe('Numeric ID of your HubSpot app, shown on its Auth tab and in the app page URL'),
  developerApiKey: z
    .string()
    .min(1)
    .secret()
    .title('Developer API key')
    .describe(
      'Developer API key of the HubSpot account that owns the app (Development > Keys > Developer API key); HubSpot requires it to create the custom channel'
    ),
  appKind: z
    .enum(appKinds)
    .optional()
    .title('HubSpot app kind')
    .describe(
      'project: an app uploaded with the HubSpot CLI, the only kind HubSpot lets you create since June 2026. legacy: a legacy public app created before then. Empty: project for a new installation, legacy for one an earlier version set up'
    ),
  refreshToken: z
    .string()
    .secret()
    .optional()
    .title('Refresh token (optional)')
    .describe(
      'OAuth refresh token of the HubSpot portal. Leave empty and use the connect link, <webhook URL>/oauth/start?key=…, that the "HubSpot is not connected" message and the integration\'s log give; when filled, it takes precedence'
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
    .describe(
      'Two-letter country code used to read phone numbers written without an international prefix (e.g. US, FR)'
    ),
  language: z
    .enum(languages)
    .default('en')
    .title('Language')
    .describe('Language of the texts the integration writes into HubSpot threads (transcript labels, notices)'),
})

export type Configuration = z.infer<typeof configurationSchema>
export const manualConfigurationSchema = configurationSchema
export type ManualConfiguration = Configuration

// The default configuration, one-click: the publisher's HubSpot app (its credentials are the
// integration's secrets), so the bot builder fills in no HubSpot credentials at all and connects a
// portal with Botpress's Connect button. Inboxes may be left empty: the page that confirms the
// connection lists the portal's inboxes to pick from.
//
// An installation of 1.x upgraded to 2.x keeps its configuration, and Botpress hands it over as
// this default configuration (configuration type null) with the fields of the manual one: they are
// accepted here, hidden, and such a configuration is read as manual (context.ts, modeOf).
const carriedOver = (field: z.ZodTypeAny) =>
  field.optional().hidden().describe('Kept from a 1.x installation, which runs as the manual configuration')
export const oneClickConfigurationSchema = z.object({
  clientId: carriedOver(configurationSchema.shape.clientId),
  clientSecret: carriedOver(configurationSchema.shape.clientSecret),
  appId: carriedOver(configurationSchema.shape.appId),
  developerApiKey: carriedOver(configurationSchema.shape.developerApiKey),
  appKind: carriedOver(configurationSchema.shape.appKind),
  refreshToken: carriedOver(configurationSchema.shape.refreshToken),
  defaultInboxId: inboxId
    .optional()
    .title('Default inbox ID')
    .describe(
      'ID of the HubSpot inbox (or help desk) that receives escalations. Leave empty at first: once HubSpot is connected, the confirmation page lists your inboxes with their IDs'
    ),
  additionalInboxIds: configurationSchema.shape.additionalInboxIds,
  contactPolicy: configurationSchema.shape.contactPolicy,
  defaultCountry: configurationSchema.shape.defaultCountry,
  language: configurationSchema.shape.language,
})
export type OneClickConfiguration = z.infer<typeof oneClickConfigurationSchema>

// The names of the publisher's secrets (bp deploy --secrets NAME=value); the running integration
// reads them as SECRET_<NAME> environment variables. Optional: bp deploy refuses to go on without a
// required secret, and a deployment without them still serves the manual configuration (register
// then says one-click is unavailable).
export const publisherSecrets = {
  CLIENT_ID: {
    optional: true,
    description: 'Client ID of the publisher HubSpot app used by the one-click configuration',
  },
  CLIENT_SECRET: {
    optional: true,
    description: 'Client secret of the publisher HubSpot app; it also verifies the signature of its webhooks',
  },
  APP_ID: { optional: true, description: 'Numeric ID of the publisher HubSpot app' },
  DEVELOPER_API_KEY: {
    optional: true,
    description:
      'Developer API key of the HubSpot developer account that owns the publisher app (creates the custom channels)',
  },
} as const
export type PublisherSecretName = keyof typeof publisherSecrets
