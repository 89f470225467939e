// What the HubSpot app must declare for this integration, written once: the scopes the connect
// page asks for, the app webhook subscriptions, and the redirect path. The project files, the
// legacy app's webhook settings, register's checks and the connect page all read them from here.
import type { AppKind, Configuration } from '../../definitions'

export const REQUIRED_SCOPES = [
  'conversations.custom_channels.read',
  'conversations.custom_channels.write',
  'conversations.read',
  'conversations.write',
  'crm.objects.contacts.read',
  'files',
] as const

// Every HubSpot project template declares `oauth`; a project app's install URL must carry each of
// its required scopes.
export const OAUTH_SCOPE = 'oauth'
// Needed by the contact policy "create".
export const CONTACT_WRITE_SCOPE = 'crm.objects.contacts.write'
// Agents' attachments can be hidden files of the file manager.
export const HIDDEN_FILES_SCOPE = 'files.ui_hidden.read'
export const OPTIONAL_SCOPES = [CONTACT_WRITE_SCOPE, HIDDEN_FILES_SCOPE] as const

export type ScopeRequest = { scope: string[]; optionalScope: string[] }

// A project app declares the optional features' scopes as optional. A legacy public app keeps the
// scopes earlier versions asked for, since its Auth page lists exactly those as required.
export const scopesFor = (kind: AppKind, config: Pick<Configuration, 'contactPolicy'>): ScopeRequest =>
  kind === 'project'
    ? { scope: [OAUTH_SCOPE, ...REQUIRED_SCOPES], optionalScope: [...OPTIONAL_SCOPES] }
    : {
        scope: config.contactPolicy === 'create' ? [...REQUIRED_SCOPES, CONTACT_WRITE_SCOPE] : [...REQUIRED_SCOPES],
        optionalScope: [],
      }

// Assignments, closes and deleted threads reach the integration through the app's webhooks,
// subscribed per property: HubSpot documents property changes per property.
export type WantedSubscription = { eventType: string; propertyName?: string }
export const APP_SUBSCRIPTIONS: WantedSubscription[] = [
  { eventType: 'conversation.propertyChange', propertyName: 'assignedTo' },
  { eventType: 'conversation.propertyChange', propertyName: 'status' },
  { eventType: 'conversation.deletion' },
]

export const describeSubscription = (s: WantedSubscription): string =>
  `${s.eventType}${s.propertyName ? ` (${s.propertyName})` : ''}`

// How many webhook requests HubSpot may send the integration at once.
export const MAX_CONCURRENT_WEBHOOKS = 10

export const redirectUrlFor = (webhookUrl: string): string => `${webhookUrl}/oauth/callback`
