// Fetches a file for re-hosting, with the guards an attachment needs: http(s) only, a size limit,
// and a bearer token sent only to hosts that are allowed to see it.
import axios from 'axios'

export class DownloadError extends Error {
  readonly name = 'DownloadError'
  // The file host's HTTP status, when it answered.
  constructor(message: string, readonly permanent: boolean, readonly status?: number) {
    super(message)
  }
}

export type Downloaded = { data: Buffer; contentType?: string; fileName?: string }

export type DownloadOptions = {
  maxBytes: number
  timeoutMs: number
  bearerToken?: string
  mayReceiveToken?: (url: URL) => boolean
}

const fileNameFromDisposition = (header: string | undefined): string | undefined => {
  if (!header) return undefined
  const extended = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(header)
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim().replace(/^"|"$/g, ''))
    } catch {
      return undefined
    }
  }
  return /filename="?([^";]+)"?/i.exec(header)?.[1]?.trim()
}

export const parseDownloadUrl = (raw: string): URL => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new DownloadError('the file URL is not a valid URL', true)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DownloadError(`the file URL uses ${url.protocol.replace(':', '')}, only http and https are fetched`, true)
  }
  return url
}

export const download = async (rawUrl: string, options: DownloadOptions): Promise<Downloaded> => {
  const url = parseDownloadUrl(rawUrl)
  const headers: Record<string, string> = {}
  if (options.bearerToken && options.mayReceiveToken?.(url)) headers.Authorization = `Bearer ${options.bearerToken}`
  // axios wraps what beforeRedirect throws, so a refused redirect is remembered here.
  let refusedRedirect: DownloadError | undefined
  try {
    const response = await axios.get<ArrayBuffer>(url.toString(), {
      responseType: 'arraybuffer',
      headers,
      timeout: options.timeoutMs,
      maxContentLength: options.maxBytes,
      maxRedirects: 3,
      validateStatus: () => true,
      // Redirects may only stay on http(s); follow-redirects drops the Authorization header across hosts.
      beforeRedirect: (redirect: Record<string, unknown>) => {
        const protocol = String(redirect.protocol ?? '')
        if (protocol !== 'https:' && protocol !== 'http:') {
          refusedRedirect = new DownloadError('the file URL redirected to a non-http URL', true)
          throw refusedRedirect
        }
      },
    })
    if (response.status < 200 || response.status >= 300) {
      throw new DownloadError(`the file host answered ${response.status}`, response.status < 500 && response.status !== 429, response.status)
    }
    const data = Buffer.from(response.data)
    if (data.length > options.maxBytes) throw new DownloadError(`the file is larger than ${options.maxBytes} bytes`, true)
    return {
      data,
      contentType: typeof response.headers['content-type'] === 'string' ? response.headers['content-type'].split(';')[0]?.trim() : undefined,
      fileName: fileNameFromDisposition(response.headers['content-disposition'] as string | undefined),
    }
  } catch (error) {
    if (refusedRedirect) throw refusedRedirect
    if (error instanceof DownloadError) throw error
    const message = error instanceof Error ? error.message : String(error)
    if (/maxContentLength/i.test(message)) throw new DownloadError(`the file is larger than ${options.maxBytes} bytes`, true)
    throw new DownloadError('the file could not be downloaded (network error or timeout)', false)
  }
}
