// The portal's file manager: stored bytes, their URLs (served by the stand-in) and signed URLs.
import { createHmac } from 'node:crypto'
import { contentTypeOf } from '../../src/content-types'
import type { FileUsageType } from '../../src/hubspot/schemas'
import { constantTimeEqual } from '../../src/hubspot/signature'
import { nowIso } from './http'
import type { FileAccess, StoredFile } from './portal'
import type { StandInState } from './state'

export const splitFileName = (fileName: string): { name: string; extension: string } => {
  const dot = fileName.lastIndexOf('.')
  if (dot <= 0) return { name: fileName, extension: '' }
  return { name: fileName.slice(0, dot), extension: fileName.slice(dot + 1).toLowerCase() }
}

export const fullNameOf = (file: StoredFile): string => (file.extension ? `${file.name}.${file.extension}` : file.name)

export const guessContentType = (extension: string): string =>
  contentTypeOf(`file.${extension}`) ?? 'application/octet-stream'

// HubSpot's file `type` categories.
const fileCategory = (contentType: string): string => {
  if (contentType.startsWith('image/')) return 'IMG'
  if (contentType.startsWith('video/')) return 'MOVIE'
  if (contentType.startsWith('audio/')) return 'AUDIO'
  if (contentType.startsWith('text/') || contentType === 'application/pdf' || contentType.includes('document')) {
    return 'DOCUMENT'
  }
  return 'OTHER'
}

export const fileUsageTypeOf = (contentType: string): FileUsageType => {
  if (contentType.startsWith('image/')) return 'IMAGE'
  if (contentType.startsWith('audio/')) return 'AUDIO'
  return 'OTHER'
}

export const isPrivate = (access: FileAccess): boolean => !access.startsWith('PUBLIC_')

const normalizeFolderPath = (folderPath: string): string => {
  const trimmed = folderPath.trim().replace(/\/+$/, '')
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

export const folderIdFor = (state: StandInState, folderPath: string): string => {
  const path = normalizeFolderPath(folderPath)
  let id = state.portal.folders.get(path)
  if (!id) {
    id = state.portal.nextId('folder')
    state.portal.folders.set(path, id)
  }
  return id
}

export const folderPathOf = (state: StandInState, folderId: string): string | undefined =>
  [...state.portal.folders.entries()].find(([, id]) => id === folderId)?.[0]

// A name the folder does not hold yet: HubSpot's upload without `overwrite` renames the new file
// rather than collide with one of the same name and extension ("photo.png" → "photo-1.png").
const freeName = (state: StandInState, folderPath: string, name: string, extension: string): string => {
  const taken = (candidate: string) =>
    [...state.portal.files.values()].some(
      (file) =>
        !file.archived &&
        file.name === candidate &&
        file.extension === extension &&
        file.path === `${folderPath === '/' ? '' : folderPath}/${extension ? `${candidate}.${extension}` : candidate}`
    )
  let candidate = name
  for (let suffix = 1; taken(candidate); suffix++) candidate = `${name}-${suffix}`
  return candidate
}

export const storeFile = (
  state: StandInState,
  input: {
    fileName: string
    contentType?: string
    data: Buffer
    access: FileAccess
    folderPath: string
    // What a file of the same name in the folder makes of the upload (HubSpot's `overwrite`).
    onCollision?: 'rename' | 'replace' | 'keep'
  }
): StoredFile => {
  const split = splitFileName(input.fileName)
  const contentType = input.contentType || guessContentType(split.extension)
  const folderPath = normalizeFolderPath(input.folderPath)
  const { extension } = split
  const name = input.onCollision === 'rename' ? freeName(state, folderPath, split.name, extension) : split.name
  if (input.onCollision === 'replace') {
    const fullPath = `${folderPath === '/' ? '' : folderPath}/${extension ? `${name}.${extension}` : name}`
    for (const file of state.portal.files.values()) if (file.path === fullPath) file.archived = true
  }
  const id = state.portal.nextId('file')
  const fullName = extension ? `${name}.${extension}` : name
  const createdAt = nowIso()
  const file: StoredFile = {
    id,
    name,
    extension,
    type: fileCategory(contentType),
    size: input.data.length,
    path: `${folderPath === '/' ? '' : folderPath}/${fullName}`,
    parentFolderId: folderIdFor(state, folderPath),
    url: `${state.baseUrl}/hubfs/${state.portalId}/${id}/${encodeURIComponent(fullName)}`,
    access: input.access,
    createdAt,
    updatedAt: createdAt,
    archived: false,
    contentType,
    data: input.data,
  }
  state.portal.files.set(id, file)
  return file
}

// The v3 File object, without the bytes.
export const fileView = (file: StoredFile) => ({
  id: file.id,
  name: file.name,
  extension: file.extension,
  type: file.type,
  size: file.size,
  path: file.path,
  parentFolderId: file.parentFolderId,
  url: file.url,
  defaultHostingUrl: file.url,
  access: file.access,
  isUsableInContent: true,
  createdAt: file.createdAt,
  updatedAt: file.updatedAt,
  archived: file.archived,
})

// The legacy file manager's object (snake_case, numeric ids, epoch ms).
export const legacyFileView = (state: StandInState, file: StoredFile) => ({
  id: Number(file.id),
  portal_id: Number(state.portalId),
  name: file.name,
  extension: file.extension,
  type: file.type,
  size: file.size,
  url: file.url,
  friendly_url: file.url,
  folder_id: Number(file.parentFolderId),
  hidden: file.access.startsWith('HIDDEN_'),
  archived: file.archived,
  created: Date.parse(file.createdAt),
  updated: Date.parse(file.updatedAt),
  deleted_at: 0,
})

const signature = (state: StandInState, fileId: string, expires: number): string =>
  createHmac('sha256', state.urlSigningKey).update(`${fileId}:${expires}`).digest('hex')

export const signedUrlFor = (
  state: StandInState,
  file: StoredFile,
  expirationSeconds: number
): { url: string; expiresAt: string } => {
  const expires = Date.now() + expirationSeconds * 1000
  return {
    url: `${file.url}?expires=${expires}&signature=${signature(state, file.id, expires)}`,
    expiresAt: new Date(expires).toISOString(),
  }
}

export const hasValidSignature = (state: StandInState, file: StoredFile, query: URLSearchParams): boolean => {
  const expires = Number(query.get('expires'))
  const presented = query.get('signature')
  if (!presented || !Number.isFinite(expires) || expires < Date.now()) return false
  return constantTimeEqual(presented, signature(state, file.id, expires))
}
