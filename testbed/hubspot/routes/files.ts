// Files v3 and the legacy file manager upload, signed URLs, and the download route behind file URLs.
import { fileSchema, fileUploadOptionsSchema, signedUrlSchema } from '../../../src/hubspot/schemas'
import { authenticateBearer, requireScopes } from '../auth'
import { fromZodIssues, notFound, validationError } from '../errors'
import {
  fileView,
  folderPathOf,
  fullNameOf,
  hasValidSignature,
  isPrivate,
  legacyFileView,
  signedUrlFor,
  splitFileName,
  storeFile,
} from '../file-store'
import { respond, type Reply, type RequestContext } from '../http'
import { legacyUploadResponseSchema } from '../local-schemas'
import type { AccessTokenRecord, StoredFile } from '../portal'
import type { RouteTable } from '../router'
import type { StandInState } from '../state'

const READ = ['files', 'files.ui_hidden.read']
const WRITE = ['files', 'files.ui_hidden.write']

const formField = (form: FormData, name: string): string | undefined => {
  const value = form.get(name)
  return typeof value === 'string' && value !== '' ? value : undefined
}

const parseOptions = (raw: string | undefined) => {
  if (raw === undefined) throw validationError('options is required: a JSON string such as {"access":"PRIVATE"}.')
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch (error) {
    throw validationError(`options is not valid JSON: ${(error as Error).message}`)
  }
  const parsed = fileUploadOptionsSchema.safeParse(json)
  if (!parsed.success) throw fromZodIssues(parsed.error.issues, 'upload options')
  return parsed.data
}

// fileName renames the upload; it keeps the uploaded file's extension when it has none of its own.
const fileNameFor = (uploaded: string, requested: string | undefined): string => {
  if (requested === undefined) return uploaded || 'file'
  const uploadedExtension = splitFileName(uploaded).extension
  return splitFileName(requested).extension !== '' || uploadedExtension === ''
    ? requested
    : `${requested}.${uploadedExtension}`
}

const uploadFile = async (
  state: StandInState,
  ctx: RequestContext,
  options: { folderRequired: boolean }
): Promise<StoredFile> => {
  const contentType = ctx.headers['content-type'] ?? ''
  if (!contentType.startsWith('multipart/form-data')) {
    throw validationError('Files are uploaded as multipart/form-data.')
  }
  let form: FormData
  try {
    form = await new Response(new Uint8Array(ctx.rawBody), { headers: { 'content-type': contentType } }).formData()
  } catch (error) {
    throw validationError(`The multipart body could not be parsed: ${(error as Error).message}`)
  }
  const file = form.get('file')
  if (file === null || typeof file === 'string') {
    throw validationError('file is required: the file part of the multipart body.')
  }
  const uploadOptions = parseOptions(formField(form, 'options'))
  const folderId = formField(form, 'folderId')
  let folderPath = formField(form, 'folderPath')
  if (folderId !== undefined) {
    folderPath = folderPathOf(state, folderId)
    if (folderPath === undefined) {
      throw validationError(`folderId ${folderId} is not a folder of portal ${state.portalId}.`)
    }
  }
  if (folderPath === undefined) {
    if (options.folderRequired) throw validationError('folderPath or folderId is required.')
    folderPath = '/'
  }
  return storeFile(state, {
    fileName: fileNameFor(file.name, formField(form, 'fileName')),
    contentType: file.type,
    data: Buffer.from(await file.arrayBuffer()),
    access: uploadOptions.access,
    folderPath,
    onCollision: uploadOptions.overwrite ? 'replace' : 'rename',
  })
}

const requireFile = (state: StandInState, fileId: string): StoredFile => {
  const file = state.portal.files.get(fileId)
  if (!file || file.archived) throw notFound(`File ${fileId} does not exist in portal ${state.portalId}.`)
  return file
}

// Hidden files of the file manager (HIDDEN_*) can be read only with files.ui_hidden.read, which
// HubSpot's official integration requests for agents' attachments.
const HIDDEN_READ = ['files.ui_hidden.read']
const requireHiddenScope = (file: StoredFile, token: AccessTokenRecord): void => {
  if (file.access.startsWith('HIDDEN_')) requireScopes(token, HIDDEN_READ)
}

// Public files need nothing; private ones a valid signature or a bearer token of the portal.
const download = (state: StandInState, ctx: RequestContext): Reply => {
  const file = ctx.params.portalId === state.portalId ? requireFile(state, ctx.params.fileId) : undefined
  if (!file) throw notFound(`File ${ctx.params.fileId} does not exist.`)
  if (isPrivate(file.access) && !hasValidSignature(state, file, ctx.query)) {
    requireHiddenScope(file, authenticateBearer(state, ctx.headers))
  }
  return {
    status: 200,
    bytes: file.data,
    headers: {
      'Content-Type': file.contentType,
      'Content-Disposition': `inline; filename="${fullNameOf(file).replace(/"/g, '')}"`,
    },
  }
}

const signedUrl = (state: StandInState, ctx: RequestContext): Reply => {
  const file = requireFile(state, ctx.params.fileId)
  if (ctx.auth.kind === 'bearer') requireHiddenScope(file, ctx.auth.token)
  const expirationSeconds = Number(ctx.query.get('expirationSeconds') ?? 3600)
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < 1) {
    throw validationError('expirationSeconds must be a positive integer.')
  }
  const { url, expiresAt } = signedUrlFor(state, file, expirationSeconds)
  return respond(signedUrlSchema, {
    url,
    expiresAt,
    name: file.name,
    extension: file.extension,
    type: file.type,
    size: file.size,
  })
}

export const registerFileRoutes = (routes: RouteTable, state: StandInState): void => {
  const at = (suffix: string) => ['/files/v3/files', '/files/2026-03/files'].map((prefix) => prefix + suffix)
  routes.add('POST', at(''), {
    auth: 'bearer',
    scopes: WRITE,
    handler: async (ctx) => respond(fileSchema, fileView(await uploadFile(state, ctx, { folderRequired: true })), 201),
  })
  routes.add('POST', '/filemanager/api/v3/files/upload', {
    auth: 'bearer',
    scopes: WRITE,
    handler: async (ctx) =>
      respond(legacyUploadResponseSchema, {
        objects: [legacyFileView(state, await uploadFile(state, ctx, { folderRequired: false }))],
      }),
  })
  routes.add('GET', at('/:fileId'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) => respond(fileSchema, fileView(requireFile(state, ctx.params.fileId))),
  })
  routes.add('GET', at('/:fileId/signed-url'), {
    auth: 'bearer',
    scopes: READ,
    handler: (ctx) => signedUrl(state, ctx),
  })
  routes.add('GET', '/hubfs/:portalId/:fileId/:fileName', {
    auth: 'none',
    rateLimited: false,
    handler: (ctx) => download(state, ctx),
  })
}
