// HubSpot's API versions, each family's written once, and the path prefix each one gives.
// Dated versions (YYYY-MM) replaced v1-v4 in 2026; v1-v3 go unsupported in September 2027 and the
// OAuth v1 endpoints are removed on 2027-02-16 (shared/spec/hubspot-platform-2026.md §0, §5).
export const API_VERSIONS = {
  oauth: '2026-03',
  customChannels: '2026-03',
  crmObjects: '2026-03',
  files: '2026-03',
  // The app webhook settings API, used for legacy public apps only.
  webhooks: '2026-03',
  // Threads, messages, actors and inboxes have no dated version that is not a beta yet
  // (2026-09-beta is the newest): v3 until HubSpot publishes one. Switching is this one line.
  conversations: 'v3',
} as const

// v3 lives at /conversations/v3/conversations, dated versions at /conversations/conversations/<version>.
export const conversationsBase = (version: string): string =>
  version === 'v3' ? '/conversations/v3/conversations' : `/conversations/conversations/${version}`

export const oauthBase = `/oauth/${API_VERSIONS.oauth}`
export const customChannelsBase = `/conversations/custom-channels/${API_VERSIONS.customChannels}`
export const contactsBase = `/crm/objects/${API_VERSIONS.crmObjects}/contacts`
export const filesBase = `/files/${API_VERSIONS.files}/files`
export const webhooksBase = (appId: string): string => `/webhooks/${API_VERSIONS.webhooks}/${appId}`
