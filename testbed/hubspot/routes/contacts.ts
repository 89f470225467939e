// CRM contacts: read, search (with its own per-second limit) and create.
import type { z } from 'zod'
import {
  contactCreateSchema,
  contactSchema,
  contactSearchFilterSchema,
  contactSearchRequestSchema,
  contactSearchResponseSchema,
} from '../../../src/hubspot/schemas'
import { contactByEmail, contactView, createContact, phoneDigitsMatch, propertyValue } from '../crm'
import { notFound, rateLimited, validationError } from '../errors'
import { paginate, parseBody, respond, type Reply, type RequestContext } from '../http'
import type { ContactRecord } from '../portal'
import type { RouteTable } from '../router'
import type { StandInState } from '../state'

const READ = ['crm.objects.contacts.read', 'crm.objects.contacts.write']
const WRITE = ['crm.objects.contacts.write']
const MAX_FILTERS = 18
const PHONE_DIGIT_PROPERTIES = new Set([
  'hs_searchable_calculated_phone_number',
  'hs_searchable_calculated_mobile_number',
])

type Filter = z.infer<typeof contactSearchFilterSchema>

const requestedProperties = (query: URLSearchParams): string[] =>
  query
    .getAll('properties')
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '')

const readContact = (state: StandInState, ctx: RequestContext): Reply => {
  const idProperty = ctx.query.get('idProperty') ?? 'hs_object_id'
  if (idProperty !== 'email' && idProperty !== 'hs_object_id') {
    throw validationError(`idProperty ${idProperty} is not a unique property of contacts.`)
  }
  const contact =
    idProperty === 'email'
      ? contactByEmail(state, ctx.params.contactId)
      : state.portal.contacts.get(ctx.params.contactId)
  if (!contact || (contact.archived && ctx.query.get('archived') !== 'true')) {
    throw notFound(`Contact ${ctx.params.contactId} does not exist in portal ${state.portalId}.`)
  }
  return respond(contactSchema, contactView(contact, requestedProperties(ctx.query)))
}

const sameValue = (propertyName: string, stored: string, wanted: string): boolean =>
  PHONE_DIGIT_PROPERTIES.has(propertyName)
    ? phoneDigitsMatch(stored, wanted)
    : stored.trim().toLowerCase() === wanted.trim().toLowerCase()

const requireValue = (filter: Filter): string => {
  if (filter.value === undefined) {
    throw validationError(`Filter on ${filter.propertyName} with operator ${filter.operator} needs a value.`)
  }
  return filter.value
}

const requireValues = (filter: Filter): string[] => {
  if (!filter.values) {
    throw validationError(`Filter on ${filter.propertyName} with operator ${filter.operator} needs values.`)
  }
  return filter.values
}

const matchesFilter = (contact: ContactRecord, filter: Filter): boolean => {
  const stored = propertyValue(contact, filter.propertyName)
  const equals = (wanted: string) => stored !== null && sameValue(filter.propertyName, stored, wanted)
  const containsToken = (token: string) =>
    stored !== null && stored.toLowerCase().includes(token.replace(/\*/g, '').toLowerCase())
  switch (filter.operator) {
    case 'EQ':
      return equals(requireValue(filter))
    case 'NEQ':
      return !equals(requireValue(filter))
    case 'IN':
      return requireValues(filter).some(equals)
    case 'NOT_IN':
      return !requireValues(filter).some(equals)
    case 'HAS_PROPERTY':
      return stored !== null && stored !== ''
    case 'NOT_HAS_PROPERTY':
      return stored === null || stored === ''
    case 'CONTAINS_TOKEN':
      return containsToken(requireValue(filter))
    case 'NOT_CONTAINS_TOKEN':
      return !containsToken(requireValue(filter))
    default:
      throw validationError(`The HubSpot stand-in does not support the ${filter.operator} operator.`)
  }
}

const searchContacts = (state: StandInState, ctx: RequestContext): Reply => {
  if (!state.limiters.search.tryHit()) throw rateLimited('SECONDLY')
  const request = parseBody(ctx, contactSearchRequestSchema, 'contact search request')
  const filterCount = request.filterGroups.reduce((sum, group) => sum + group.filters.length, 0)
  if (filterCount > MAX_FILTERS) {
    throw validationError(`A search may use at most ${MAX_FILTERS} filters in total, got ${filterCount}.`)
  }
  const now = Date.now()
  const matched = [...state.portal.contacts.values()]
    .filter((contact) => !contact.archived && contact.searchableAt <= now)
    .filter(
      (contact) =>
        request.filterGroups.length === 0 ||
        request.filterGroups.some((group) => group.filters.every((filter) => matchesFilter(contact, filter)))
    )
    .sort((a, b) => Number(a.id) - Number(b.id))
  const paging = new URLSearchParams({ limit: String(request.limit ?? 10) })
  if (request.after !== undefined) paging.set('after', String(request.after))
  const page = paginate(matched, paging, { limit: 10, max: 200 })
  const properties = request.properties ?? []
  return respond(contactSearchResponseSchema, {
    ...page,
    results: page.results.map((contact) => contactView(contact, properties)),
  })
}

const createContactRoute = (state: StandInState, ctx: RequestContext): Reply => {
  const { properties } = parseBody(ctx, contactCreateSchema, 'contact')
  const contact = createContact(state, properties)
  return respond(contactSchema, contactView(contact, Object.keys(properties)), 201)
}

export const registerContactRoutes = (routes: RouteTable, state: StandInState): void => {
  // v3 and the dated 2026-03 paths serve the same bodies.
  const at = (suffix: string) =>
    ['/crm/v3/objects/contacts', '/crm/objects/2026-03/contacts'].map((prefix) => prefix + suffix)
  routes.add('GET', at('/:contactId'), { auth: 'bearer', scopes: READ, handler: (ctx) => readContact(state, ctx) })
  routes.add('POST', at('/search'), { auth: 'bearer', scopes: READ, handler: (ctx) => searchContacts(state, ctx) })
  routes.add('POST', at(''), { auth: 'bearer', scopes: WRITE, handler: (ctx) => createContactRoute(state, ctx) })
}
