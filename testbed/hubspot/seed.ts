// What a fresh stand-in portal contains. Tests override any top-level key with `seed`.

export type AppCredentials = { appId: string; clientId: string; clientSecret: string; developerApiKey: string }

export type InboxType = 'INBOX' | 'HELP_DESK'
export type SeedInbox = { id: string; name: string; type: InboxType }

// `avatar` may be relative ("/avatars/A-111.svg"): it is then served by the stand-in.
export type SeedAgent = { actorId: string; name: string; email: string; avatar?: string }

export type SeedContact = { id: string; properties: Record<string, string> }

export type SeedSubscription = { eventType: string; propertyName?: string }

export type Seed = {
  app: AppCredentials
  portalId: string
  hubDomain: string
  // A refresh token valid from the start, granted `scopes`.
  refreshToken: string
  scopes: string[]
  inboxes: SeedInbox[]
  agents: SeedAgent[]
  contacts: SeedContact[]
  // App webhook settings as if configured in the developer portal; null leaves them unset.
  appWebhooks: { targetUrl: string; subscriptions?: SeedSubscription[] } | null
}

export const DEFAULT_SCOPES = [
  'conversations.custom_channels.read',
  'conversations.custom_channels.write',
  'conversations.read',
  'conversations.write',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'files',
  'files.ui_hidden.read',
]

export const DEFAULT_APP_SUBSCRIPTIONS: SeedSubscription[] = [
  { eventType: 'conversation.creation' },
  { eventType: 'conversation.newMessage' },
  { eventType: 'conversation.propertyChange' },
  { eventType: 'conversation.deletion' },
]

export const defaultSeed = (): Seed => ({
  app: {
    appId: '18822768',
    clientId: '5f0c7a52-2b1d-4c1e-9d57-0a7e1f3c9b11',
    clientSecret: '8d3e2f4a-6b7c-4d8e-9f0a-1b2c3d4e5f60',
    developerApiKey: 'na1-dev0-4f2a-4c1e-9d57-0a7e1f3c9b11',
  },
  portalId: '243842089',
  hubDomain: 'stand-in-243842089.hubspot.test',
  refreshToken: 'na1-0c3b-5e8f-4a1d-9b6e-7f2a1c3d5e80',
  scopes: [...DEFAULT_SCOPES],
  inboxes: [
    { id: '1001', name: 'Support', type: 'INBOX' },
    { id: '1002', name: 'Sales', type: 'INBOX' },
    { id: '1003', name: 'Help desk', type: 'HELP_DESK' },
  ],
  agents: [
    { actorId: 'A-111', name: 'Ann Agent', email: 'ann.agent@example.com', avatar: '/avatars/A-111.svg' },
    { actorId: 'A-222', name: 'Bob Agent', email: 'bob.agent@example.com', avatar: '/avatars/A-222.svg' },
  ],
  contacts: [
    {
      id: '901',
      properties: { firstname: 'Jane', lastname: 'Doe', email: 'jane.doe@example.com', phone: '+1 514-555-0100' },
    },
    {
      id: '902',
      properties: {
        firstname: 'John',
        lastname: 'Smith',
        email: 'john.smith@example.com',
        phone: '+15145550199',
        mobilephone: '+1 (438) 555-0142',
      },
    },
  ],
  appWebhooks: null,
})
