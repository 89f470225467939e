// Files API: customer attachments are uploaded to the portal's file manager and attached by ID.
import { randomBytes } from 'node:crypto'
import type { HubSpotHttp } from './http'
import { fileSchema, signedUrlSchema, type HubSpotFile } from './schemas'
import { filesBase } from './versions'

export const FOLDER_PATH = '/botpress-hitl'

// HubSpot renames an upload that meets a file of the same name in its folder ("photo-1.png"), and
// the inbox shows that name: each file gets a folder of its own (by day, then a random name), so the
// agent reads the name the customer gave it, even when the customer sends "photo.png" twice.
export const uploadFolderPath = (now = new Date()): string =>
  `${FOLDER_PATH}/${now.toISOString().slice(0, 10)}/${randomBytes(6).toString('hex')}`

export const uploadFile = (
  http: HubSpotHttp,
  file: { name: string; contentType: string; data: Buffer }
): Promise<HubSpotFile> => {
  const form = new FormData()
  form.append('file', new Blob([new Uint8Array(file.data)], { type: file.contentType }), file.name)
  form.append('fileName', file.name)
  form.append('folderPath', uploadFolderPath())
  form.append(
    'options',
    JSON.stringify({ access: 'PRIVATE', ttl: 'P1Y', overwrite: false, duplicateValidationStrategy: 'NONE' })
  )
  // A repeated upload only leaves a second copy in a private folder of its own.
  return http.send({
    method: 'POST',
    path: filesBase,
    auth: 'bearer',
    multipart: form,
    retrySafe: true,
    schema: fileSchema,
  })
}

// A temporary public link to a file of the file manager.
export const getSignedUrl = (http: HubSpotHttp, fileId: string): Promise<{ url: string }> =>
  http.send({
    method: 'GET',
    path: `${filesBase}/${encodeURIComponent(fileId)}/signed-url`,
    auth: 'bearer',
    query: { expirationSeconds: 7 * 24 * 3600 },
    schema: signedUrlSchema,
  })

// HubSpot's own hosts, the only ones our bearer token may be sent to: the configured API origin
// (scheme, host and port), and HubSpot's domains over https.
export const isHubSpotHost = (url: URL, apiBaseUrl: string): boolean => {
  if (url.origin === new URL(apiBaseUrl).origin) return true
  if (url.protocol !== 'https:') return false
  const host = `.${url.hostname.toLowerCase()}`
  return [/\.hubapi\.com$/, /\.hubspot\.com$/, /\.hubspotusercontent[\w-]*\.net$/, /\.hubspot\.net$/].some((pattern) =>
    pattern.test(host)
  )
}
