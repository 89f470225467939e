import { randomBytes } from 'node:crypto'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

function encodeTime(ms: number): string {
  let out = ''
  let rest = ms
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[rest % 32] + out
    rest = Math.floor(rest / 32)
  }
  return out
}

function encodeRandom(length: number): string {
  const bytes = randomBytes(length)
  let out = ''
  for (const byte of bytes) out += CROCKFORD[byte % 32]
  return out
}

/** Botpress-looking id: a prefix and a ULID, e.g. `conv_01JD8V…`. */
export function newId(prefix: string): string {
  return `${prefix}_${encodeTime(Date.now())}${encodeRandom(16)}`
}

/** Id in the format of Botpress API error ids: `err_<UTC YYYYMMDDHHMMSS>x<8 hex>`. */
export function newErrorId(): string {
  const timestamp = new Date()
    .toISOString()
    .replace(/[-:TZ]/g, '')
    .split('.')[0]
  return `err_${timestamp}x${randomBytes(4).toString('hex').toUpperCase()}`
}
