// CRM contact records: lookups by email and phone, and the property view HubSpot returns.
import { conflict } from './errors'
import { nowIso } from './http'
import type { ContactRecord } from './portal'
import type { StandInState } from './state'

export const digitsOf = (phone: string): string => phone.replace(/\D/g, '')

// Digit-normalised comparison that also tolerates a missing country code on one side.
export const phoneDigitsMatch = (a: string, b: string): boolean => {
  const left = digitsOf(a)
  const right = digitsOf(b)
  if (left === '' || right === '') return false
  if (left === right) return true
  const [shorter, longer] = left.length < right.length ? [left, right] : [right, left]
  return shorter.length >= 10 && longer.endsWith(shorter)
}

export const contactByEmail = (state: StandInState, email: string): ContactRecord | undefined => {
  const wanted = email.trim().toLowerCase()
  return [...state.portal.contacts.values()].find(
    (contact) => !contact.archived && contact.properties.email?.toLowerCase() === wanted
  )
}

export const contactByPhone = (state: StandInState, phone: string): ContactRecord | undefined => {
  const same =
    state.settings.phoneMatch === 'exact'
      ? (stored: string) => stored.trim() === phone.trim()
      : (stored: string) => phoneDigitsMatch(stored, phone)
  return [...state.portal.contacts.values()].find(
    (contact) =>
      !contact.archived &&
      [contact.properties.phone, contact.properties.mobilephone].some((stored) => stored !== undefined && same(stored))
  )
}

export const contactName = (contact: ContactRecord): string | undefined => {
  const name = [contact.properties.firstname, contact.properties.lastname].filter(Boolean).join(' ')
  return name || undefined
}

// Stored properties plus the ones HubSpot computes.
export const propertyValue = (contact: ContactRecord, name: string): string | null => {
  switch (name) {
    case 'hs_object_id':
      return contact.id
    case 'createdate':
      return contact.createdAt
    case 'lastmodifieddate':
      return contact.updatedAt
    case 'hs_searchable_calculated_phone_number':
      return contact.properties.phone ? digitsOf(contact.properties.phone) : null
    case 'hs_searchable_calculated_mobile_number':
      return contact.properties.mobilephone ? digitsOf(contact.properties.mobilephone) : null
    default:
      return contact.properties[name] ?? null
  }
}

const DEFAULT_PROPERTIES = ['firstname', 'lastname', 'email']
const ALWAYS_RETURNED = ['hs_object_id', 'createdate', 'lastmodifieddate']

export const contactView = (contact: ContactRecord, requested: string[]) => {
  const names = [...new Set([...(requested.length > 0 ? requested : DEFAULT_PROPERTIES), ...ALWAYS_RETURNED])]
  return {
    id: contact.id,
    properties: Object.fromEntries(names.map((name) => [name, propertyValue(contact, name)])),
    createdAt: contact.createdAt,
    updatedAt: contact.updatedAt,
    archived: contact.archived,
  }
}

export const createContact = (state: StandInState, properties: Record<string, string>, id?: string): ContactRecord => {
  const email = properties.email
  if (email) {
    const existing = contactByEmail(state, email)
    if (existing) throw conflict(`Contact already exists. Existing ID: ${existing.id}`)
  }
  const createdAt = nowIso()
  const contact: ContactRecord = {
    id: id ?? state.portal.nextId('contact'),
    properties: { ...properties },
    createdAt,
    updatedAt: createdAt,
    archived: false,
    searchableAt: Date.now() + state.settings.searchIndexDelayMs,
  }
  if (id !== undefined) state.portal.reserveId('contact', id)
  state.portal.contacts.set(contact.id, contact)
  return contact
}
