// Reads the hitl plugin's `email` field, which carries an email address, a phone number, or the
// plugin's stand-in address when the customer gave neither.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'

export type CustomerIdentifier =
  | { kind: 'email'; email: string }
  | { kind: 'phone'; e164: string; national: string }
  | { kind: 'none'; reason: 'absent' | 'placeholder' | 'unrecognised' }

// The plugin's placeholder when it knows no email: `<userId>@no-reply.<botId>.botpress.com`.
const PLACEHOLDER_EMAIL = /@no-?reply\.[^@\s]*\.?botpress\.(com|cloud)$/i
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export const parseCustomerIdentifier = (raw: string | undefined, defaultCountry?: string): CustomerIdentifier => {
  const value = raw?.trim()
  if (!value) return { kind: 'none', reason: 'absent' }
  if (value.includes('@')) {
    if (PLACEHOLDER_EMAIL.test(value)) return { kind: 'none', reason: 'placeholder' }
    const email = value.replace(/^mailto:/i, '').toLowerCase()
    return EMAIL.test(email) ? { kind: 'email', email } : { kind: 'none', reason: 'unrecognised' }
  }
  const phone = parsePhoneNumberFromString(value, defaultCountry as CountryCode | undefined)
  if (phone?.isValid()) return { kind: 'phone', e164: phone.number, national: phone.nationalNumber }
  return { kind: 'none', reason: 'unrecognised' }
}

export const splitName = (name: string | undefined): { firstname?: string; lastname?: string } => {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean)
  if (parts.length === 0) return {}
  if (parts.length === 1) return { firstname: parts[0] }
  return { firstname: parts.slice(0, -1).join(' '), lastname: parts[parts.length - 1] }
}
