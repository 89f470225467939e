// CRM contacts: find the customer's contact by email or phone, or create it.
import { HubSpotApiError } from './api-error'
import type { HubSpotHttp } from './http'
import { contactSchema, contactSearchResponseSchema, type Contact, type ContactSearchRequest } from './schemas'
import { contactsBase } from './versions'

const PROPERTIES = ['email', 'phone', 'mobilephone', 'firstname', 'lastname']

const search = async (
  http: HubSpotHttp,
  filterGroups: ContactSearchRequest['filterGroups']
): Promise<Contact | undefined> => {
  const response = await http.send({
    method: 'POST',
    path: `${contactsBase}/search`,
    limit: 'search',
    auth: 'bearer',
    // A search changes nothing, so repeating it is harmless.
    retrySafe: true,
    // HubSpot's schema requires every field of the search body, sorts and after included.
    json: { filterGroups, sorts: [], properties: PROPERTIES, limit: 1, after: '0' } satisfies ContactSearchRequest,
    schema: contactSearchResponseSchema,
  })
  return response.results[0]
}

export const findContactByEmail = (http: HubSpotHttp, email: string): Promise<Contact | undefined> =>
  search(http, [{ filters: [{ propertyName: 'email', operator: 'EQ', value: email }] }])

// Numbers are stored as typed; HubSpot also keeps a normalised copy without the country code.
export const findContactByPhone = (
  http: HubSpotHttp,
  phone: { e164: string; national: string }
): Promise<Contact | undefined> =>
  search(http, [
    { filters: [{ propertyName: 'phone', operator: 'EQ', value: phone.e164 }] },
    { filters: [{ propertyName: 'mobilephone', operator: 'EQ', value: phone.e164 }] },
    { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: 'EQ', value: phone.national }] },
    { filters: [{ propertyName: 'hs_searchable_calculated_mobile_number', operator: 'EQ', value: phone.national }] },
  ])

export const createContact = async (
  http: HubSpotHttp,
  properties: Record<string, string>
): Promise<{ id: string; created: boolean }> => {
  try {
    const contact = await http.send({
      method: 'POST',
      path: contactsBase,
      auth: 'bearer',
      json: { properties },
      retrySafe: false,
      schema: contactSchema,
    })
    return { id: contact.id, created: true }
  } catch (error) {
    // A contact created meanwhile (or by an earlier attempt) is reported with its ID.
    const existing =
      error instanceof HubSpotApiError && error.status === 409
        ? /Existing ID:\s*(\d+)/i.exec(error.hubspotMessage ?? '')
        : null
    if (existing?.[1]) return { id: existing[1], created: false }
    throw error
  }
}
