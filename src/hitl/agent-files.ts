// An agent's files, re-hosted where the customer can open them: fetched from HubSpot (the token
// only for HubSpot's own hosts, a signed link when HubSpot refuses), then stored in Botpress under
// their own name.
import { isApiError } from '@botpress/sdk'
import { download, DownloadError } from '../download'
import * as env from '../env'
import { HubSpotApiError } from '../hubspot/api-error'
import { getSignedUrl, isHubSpotHost } from '../hubspot/files'
import type { Message } from '../hubspot/schemas'
import { timeLeftFor, type Deps } from './context'
import type { AgentPart } from './messages'

// Hidden files of HubSpot's file manager can be read only with files.ui_hidden.read: a refusal
// from HubSpot is asked once more through a signed link, then reported to the agent with the fix.
const fetchAgentFile = async (deps: Deps, part: Extract<AgentPart, { kind: 'media' }>) => {
  const options = {
    maxBytes: env.maxAttachmentBytes(),
    timeoutMs: timeLeftFor(deps, env.requestTimeoutMs()),
    trustedOrigins: env.trustedFileOrigins(),
  }
  const url = part.attachment.url
  const fromHubSpot = (() => {
    try {
      return isHubSpotHost(new URL(url), env.hubspotApiUrl())
    } catch {
      return false
    }
  })()
  try {
    return await download(url, {
      ...options,
      bearerToken: await deps.tokens.get(),
      mayReceiveToken: (target) => isHubSpotHost(target, env.hubspotApiUrl()),
    })
  } catch (error) {
    const refused = error instanceof DownloadError && (error.status === 401 || error.status === 403)
    if (!refused || !fromHubSpot || !part.attachment.fileId) throw error
  }
  try {
    const signed = await getSignedUrl(deps.hubspot, String(part.attachment.fileId))
    return await download(signed.url, options)
  } catch (error) {
    if (error instanceof HubSpotApiError && (error.status === 401 || error.status === 403)) {
      throw new DownloadError(deps.texts.fileUnreadable, true, error.status)
    }
    throw error
  }
}

// Where the customer opens an agent's file, and the name it goes by. Each file has a folder of its
// own, so the key ends with the file's real name (the name the customer sees) and never collides.
export type Hosted = { url: string; name: string }

export const rehost = async (
  deps: Deps,
  message: Message,
  part: Extract<AgentPart, { kind: 'media' }>,
  index: number
): Promise<Hosted> => {
  const fetched = await fetchAgentFile(deps, part)
  const name = part.attachment.name ?? fetched.fileName ?? `attachment-${index + 1}`
  try {
    const { file } = await deps.client.uploadFile({
      key: `hubspot/${message.conversationsThreadId}/${message.id}/${index}/${name.replace(/\//g, '_')}`,
      content: fetched.data,
      contentType: fetched.contentType ?? 'application/octet-stream',
      accessPolicies: ['public_content'],
      publicContentImmediatelyAccessible: true,
    })
    if (file.url) return { url: file.url, name }
  } catch (error) {
    if (!isApiError(error) || error.code >= 500 || error.code === 429) throw error
    deps.logger.warn(
      `Botpress refused to host an agent file (${error.code}); the customer gets a signed HubSpot link instead`
    )
  }
  // Where Botpress cannot host the file, a signed link from HubSpot's file manager still opens it.
  if (part.attachment.fileId) {
    return { url: (await getSignedUrl(deps.hubspot, String(part.attachment.fileId))).url, name }
  }
  throw new DownloadError('the file could not be hosted for the customer', true)
}
