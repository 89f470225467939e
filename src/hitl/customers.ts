// Customers: resolve the HubSpot contact from an email or phone number as the contact policy says,
// and keep the Botpress user that stands for the customer, tagged with how HubSpot identifies them.
import { randomUUID } from 'node:crypto'
import { createContact, findContactByEmail, findContactByPhone } from '../hubspot/contacts'
import type { DeliveryIdentifier } from '../hubspot/schemas'
import { processCache } from '../memory'
import type { UserTagValues } from '../types'
import type { Deps } from './context'
import { fail } from './errors'
import { parseCustomerIdentifier, splitName, type CustomerIdentifier } from './identity'
import { isDeliveryType } from './thread-address'

export type Customer = { userId: string; name: string; delivery: DeliveryIdentifier; contactId?: string }

// Known customers, so startHitl right after createUser needs no lookup.
const knownCustomers = processCache<Customer>('customers', { maxEntries: 5_000, ttlMs: Number.POSITIVE_INFINITY })
const remember = (deps: Deps, customer: Customer) => {
  knownCustomers.set(`${deps.ctx.integrationId}:${customer.userId}`, customer)
}

const resolveContact = async (
  deps: Deps,
  identifier: Exclude<CustomerIdentifier, { kind: 'none' }>,
  name: string | undefined
) => {
  const found =
    identifier.kind === 'email'
      ? await findContactByEmail(deps.hubspot, identifier.email)
      : await findContactByPhone(deps.hubspot, identifier)
  if (found) return found.id
  switch (deps.config.contactPolicy) {
    case 'refuse':
      throw fail('contactRefused')
    case 'anonymous':
      return undefined
    case 'create': {
      const properties: Record<string, string> = {
        ...(identifier.kind === 'email' ? { email: identifier.email } : { phone: identifier.e164 }),
      }
      for (const [key, value] of Object.entries(splitName(name))) if (value) properties[key] = value
      const created = await createContact(deps.hubspot, properties)
      deps.logger.info(`HubSpot contact ${created.id} ${created.created ? 'created' : 'found'} for a new customer`)
      return created.id
    }
  }
}

// createUser runs for every distinct user of the history at each escalation: a customer resolved a
// moment ago is not looked up in HubSpot again.
const RESOLVED_TTL_MS = 10 * 60 * 1000
const recentlyResolved = processCache<Customer>('resolved customers', { maxEntries: 5_000, ttlMs: RESOLVED_TTL_MS })

const resolutionKey = (deps: Deps, identifier: CustomerIdentifier, name: string, pictureUrl?: string) =>
  identifier.kind === 'none'
    ? undefined
    : JSON.stringify([deps.ctx.integrationId, deps.config.contactPolicy, identifier, name, pictureUrl ?? ''])

export const createCustomer = async (
  deps: Deps,
  input: { name?: string; email?: string; pictureUrl?: string }
): Promise<Customer> => {
  const identifier = parseCustomerIdentifier(input.email, deps.config.defaultCountry)
  const key = resolutionKey(deps, identifier, input.name?.trim() || deps.texts.customerFallbackName, input.pictureUrl)
  const recent = key ? recentlyResolved.get(key) : undefined
  if (recent) return recent
  const customer = await resolveCustomer(deps, input, identifier)
  if (key) recentlyResolved.set(key, customer)
  return customer
}

const resolveCustomer = async (
  deps: Deps,
  input: { name?: string; email?: string; pictureUrl?: string },
  identifier: CustomerIdentifier
): Promise<Customer> => {
  const name = input.name?.trim() || deps.texts.customerFallbackName
  let delivery: DeliveryIdentifier
  let contactId: string | undefined
  if (identifier.kind === 'none') {
    if (deps.config.contactPolicy === 'refuse') throw fail('customerUnidentified')
    if (identifier.reason === 'unrecognised') {
      deps.logger.warn(
        'The customer identifier is neither an email nor a valid phone number; continuing as an anonymous visitor'
      )
    }
    delivery = { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `bp-visitor-${randomUUID()}` }
  } else {
    contactId = await resolveContact(deps, identifier, input.name)
    if (contactId || deps.config.contactPolicy !== 'anonymous') {
      delivery =
        identifier.kind === 'email'
          ? { type: 'HS_EMAIL_ADDRESS', value: identifier.email }
          : { type: 'HS_PHONE_NUMBER', value: identifier.e164 }
    } else {
      // Anonymous by policy: HubSpot must not match or create a contact from the email or phone.
      delivery = { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `bp-visitor-${randomUUID()}` }
    }
  }

  const tags: UserTagValues = { kind: 'customer', deliveryType: delivery.type, deliveryValue: delivery.value }
  if (contactId) tags.hubspotContactId = contactId
  const { user } = await deps.client.getOrCreateUser({
    tags: tags as Record<string, string>,
    name,
    pictureUrl: input.pictureUrl,
    discriminateByTags: ['deliveryType', 'deliveryValue'],
  })
  const customer: Customer = { userId: user.id, name, delivery, contactId }
  remember(deps, customer)
  return customer
}

// A customer by Botpress user ID: from memory, else from the user's tags. A user this integration
// did not create is treated as an anonymous visitor keyed by its user ID.
export const getCustomer = async (deps: Deps, userId: string): Promise<Customer> => {
  const cached = knownCustomers.get(`${deps.ctx.integrationId}:${userId}`)
  if (cached) return cached
  let user
  try {
    user = (await deps.client.getUser({ id: userId })).user
  } catch (error) {
    const code = (error as { code?: number }).code
    if (code === 404) throw fail('userNotFound', { userId })
    throw error
  }
  const tags = user.tags as UserTagValues
  const delivery: DeliveryIdentifier =
    isDeliveryType(tags.deliveryType) && tags.deliveryValue
      ? { type: tags.deliveryType, value: tags.deliveryValue }
      : { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: `bp-user-${user.id}` }
  const customer: Customer = {
    userId: user.id,
    name: user.name || deps.texts.customerFallbackName,
    delivery,
    contactId: tags.hubspotContactId || undefined,
  }
  remember(deps, customer)
  return customer
}
