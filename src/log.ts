// The logger shape the integration needs; the SDK's IntegrationLogger fits it. Log lines carry IDs,
// statuses and categories only: never tokens, keys, message text, emails or phone numbers.
export type Logger = {
  debug: (message: string) => void
  info: (message: string) => void
  warn: (message: string) => void
  error: (message: string) => void
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
