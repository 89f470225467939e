// Tags: the identifiers a message or an event needs ride on the conversation and user, so the hot
// paths read them from the payload Botpress already sends instead of making extra calls.
export const userTags = {
  kind: {
    title: 'Kind',
    description:
      'customer for an end user escalated to HubSpot, agent for a HubSpot agent, notice for the integration telling the customer something',
  },
  hubspotActorId: {
    title: 'HubSpot actor ID',
    description: 'Actor ID of the HubSpot agent (A-123) this user stands for',
  },
  hubspotContactId: {
    title: 'HubSpot contact ID',
    description: 'ID of the HubSpot CRM contact of the customer, when one is known',
  },
  deliveryType: {
    title: 'Delivery identifier type',
    description: 'How HubSpot identifies the customer: HS_EMAIL_ADDRESS, HS_PHONE_NUMBER or CHANNEL_SPECIFIC_OPAQUE_ID',
  },
  deliveryValue: {
    title: 'Delivery identifier',
    description: 'Email, E.164 phone number or visitor ID identifying the customer in HubSpot',
  },
} as const

export const conversationTags = {
  hubspotThreadId: { title: 'HubSpot thread ID', description: 'ID of the HubSpot conversation thread of this session' },
  channelId: { title: 'Channel ID', description: 'HubSpot custom channel the thread belongs to' },
  channelAccountId: {
    title: 'Channel account ID',
    description: 'HubSpot channel account (inbox connection) the thread belongs to',
  },
  inboxId: { title: 'Inbox ID', description: 'HubSpot inbox the session was routed to' },
  customerUserId: { title: 'Customer user ID', description: 'Botpress user ID of the escalated customer' },
  customerName: { title: 'Customer name', description: 'Display name of the customer, as shown to the agent' },
  deliveryType: {
    title: 'Delivery identifier type',
    description: 'How HubSpot identifies the customer of this session',
  },
  deliveryValue: { title: 'Delivery identifier', description: 'Identifier of the customer of this session in HubSpot' },
  contactId: { title: 'HubSpot contact ID', description: 'HubSpot contact the thread is associated with, when known' },
  assignedActorId: {
    title: 'Assigned agent',
    description: 'Actor ID of the HubSpot agent the plugin was last told of',
  },
  assignedAt: {
    title: 'Assigned at',
    description: 'Time (epoch ms) of the assignment last applied, to ignore stale ones',
  },
  pendingAssignment: {
    title: 'Assignment to apply',
    description:
      'Time and actor ID (epoch ms|A-123) of the latest assignment HubSpot reported; applied while newer than Assigned at',
  },
  closeRequested: {
    title: 'Close to apply',
    description: 'Time and reason of a close, deletion or archiving HubSpot reported, until the session ends',
  },
  closed: { title: 'Closed', description: 'true once the session ended, whoever ended it' },
  opening: {
    title: 'Opening',
    description: 'true while startHitl has created the conversation but HubSpot has not named its thread yet',
  },
  outboxPending: {
    title: 'Messages owed',
    description: 'true while customer messages HubSpot could not take wait to be sent',
  },
  repliesPending: {
    title: 'Replies held',
    description: 'true while agent replies wait for the hitl plugin to see the session',
  },
  noticesPending: {
    title: 'Notices held',
    description: 'true while notices to the customer wait for an agent to be assigned',
  },
  readyAt: {
    title: 'Ready at',
    description:
      'Time (epoch ms) startHitl finished; the hitl plugin activates the session shortly after, and drops agent events before',
  },
} as const

export const messageTags = {
  hubspotMessageId: {
    title: 'HubSpot message ID',
    description: 'ID of the HubSpot message this Botpress message mirrors',
  },
  delivery: {
    title: 'Delivery',
    description: 'owed while HubSpot has not taken a customer message, then sent, or reported to the customer',
  },
  notice: {
    title: 'Notice',
    description: 'What the customer is to be told about this message once an agent is assigned',
  },
  noticeState: { title: 'Notice state', description: 'pending while the notice waits for an agent, told once posted' },
  noticeFor: {
    title: 'Notice about',
    description: 'On a notice to the customer: the customer message it is about, so it is posted once',
  },
} as const

export type TagsOf<T> = { [K in keyof T]?: string }
export type UserTags = TagsOf<typeof userTags>
export type ConversationTags = TagsOf<typeof conversationTags>
export type MessageTags = TagsOf<typeof messageTags>
