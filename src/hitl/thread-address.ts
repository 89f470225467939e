// Where a session's messages go in HubSpot, and who speaks there: the customer, by the identifier
// HubSpot knows them by, and the bot, as the inbox's channel account.
import type { DeliveryIdentifier } from '../hubspot/schemas'
import type { Deps } from './context'
import type { SessionAddress } from './session'

// The business side of every thread in an inbox: how our channel account is identified.
export const inboxIdentifier = (inboxId: string): DeliveryIdentifier => ({
  type: 'CHANNEL_SPECIFIC_OPAQUE_ID',
  value: `botpress-inbox-${inboxId}`,
})

export type Party = { deliveryIdentifier: DeliveryIdentifier; name: string }

export type ThreadAddress = {
  channelId: string
  channelAccountId: string
  inboxId: string
  integrationThreadId: string
  customer: Party
  contactId?: string
}

export const isDeliveryType = (value: string | undefined): value is DeliveryIdentifier['type'] =>
  value === 'HS_EMAIL_ADDRESS' || value === 'HS_PHONE_NUMBER' || value === 'CHANNEL_SPECIFIC_OPAQUE_ID'

// Where a session's messages go, its customer named (the language's fallback when unnamed).
export const threadAddressOf = (deps: Pick<Deps, 'texts'>, address: SessionAddress): ThreadAddress => ({
  ...address,
  customer: {
    deliveryIdentifier: address.customer.deliveryIdentifier,
    name: address.customer.name ?? deps.texts.customerFallbackName,
  },
})

export const botParty = (deps: Pick<Deps, 'texts'>, inboxId: string): Party => ({
  deliveryIdentifier: inboxIdentifier(inboxId),
  name: deps.texts.botSenderName,
})
