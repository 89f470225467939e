// How a HubSpot call is authorised: an OAuth access token (bearer), the app's developer API key
// (developer), or nothing (OAuth's own endpoints).
export type AuthMode = 'bearer' | 'developer' | 'none'

export type TokenSource = {
  get: () => Promise<string>
  invalidate: (token: string) => void
  portalId?: () => string | undefined
}

export type DeveloperCredentials = { apiKey: string; appId: string }

export type Authorisation = {
  headers: Record<string, string>
  params: Record<string, string>
  // The bearer token used: the call counts against its portal, and a 401 invalidates it.
  token?: string
}

export const authorise = async (
  auth: AuthMode,
  credentials: { tokens?: TokenSource; developer?: DeveloperCredentials }
): Promise<Authorisation> => {
  if (auth === 'bearer') {
    if (!credentials.tokens) throw new Error('HubSpot bearer call without a token source')
    const token = await credentials.tokens.get()
    return { headers: { Authorization: `Bearer ${token}` }, params: {}, token }
  }
  if (auth === 'developer') {
    if (!credentials.developer) throw new Error('HubSpot developer call without developer credentials')
    return { headers: {}, params: { hapikey: credentials.developer.apiKey, appId: credentials.developer.appId } }
  }
  return { headers: {}, params: {} }
}
