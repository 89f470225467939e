// Pure translation between Botpress messages and HubSpot messages, both ways.
import type { FileUsageType, Message, MessageAttachment } from '../hubspot/schemas'
import type { Texts } from '../i18n'

export type FileToAttach = { url: string; name: string; usage: FileUsageType }
export type HubSpotContent = { text: string; files: FileToAttach[] }

type Payload = Record<string, unknown>
export type BotpressContent = { type: string; payload: Payload }

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined)
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined

export const fileNameFromUrl = (url: string, fallback: string): string => {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop()
    // A URL-encoded storage key ("customer%2F…%2Fphoto.jpg") still names the file by its last part.
    const name = last ? decodeURIComponent(last).split('/').pop() : undefined
    return name || fallback
  } catch {
    return fallback
  }
}

const media = (
  url: string | undefined,
  title: string | undefined,
  usage: FileUsageType,
  fallbackName: string
): HubSpotContent =>
  url
    ? { text: title ?? '', files: [{ url, name: title ?? fileNameFromUrl(url, fallbackName), usage }] }
    : { text: title ?? '', files: [] }

// One Botpress message becomes one HubSpot message: its text plus its media as attachments.
export const toHubSpotContent = (message: BotpressContent, texts: Texts): HubSpotContent => {
  const p = message.payload
  switch (message.type) {
    case 'text':
      return { text: str(p.text) ?? '', files: [] }
    case 'markdown':
      return { text: str(p.markdown) ?? '', files: [] }
    case 'image':
      return media(str(p.imageUrl), str(p.title), 'IMAGE', 'image')
    case 'audio':
      return media(str(p.audioUrl), str(p.title), 'AUDIO', 'audio')
    case 'video':
      return media(str(p.videoUrl), str(p.title), 'OTHER', 'video')
    case 'file':
      return media(str(p.fileUrl), str(p.title), 'OTHER', 'file')
    case 'location': {
      const latitude = num(p.latitude)
      const longitude = num(p.longitude)
      if (latitude === undefined || longitude === undefined) return { text: texts.unsupported('location'), files: [] }
      return { text: texts.location({ latitude, longitude, address: str(p.address), title: str(p.title) }), files: [] }
    }
    case 'choice':
    case 'dropdown': {
      const options = Array.isArray(p.options)
        ? p.options.map((o) => str((o as Payload)?.label) ?? '').filter(Boolean)
        : []
      return { text: texts.choices(str(p.text) ?? '', options), files: [] }
    }
    case 'card':
      return cardContent(p, texts)
    case 'carousel': {
      const items = Array.isArray(p.items) ? (p.items as Payload[]) : []
      return mergeContents(items.map((item) => cardContent(item, texts)))
    }
    case 'bloc': {
      const items = Array.isArray(p.items) ? (p.items as Payload[]) : []
      return mergeContents(
        items.map((item) =>
          toHubSpotContent({ type: String(item?.type), payload: (item?.payload ?? {}) as Payload }, texts)
        )
      )
    }
    default:
      return { text: texts.unsupported(message.type), files: [] }
  }
}

const cardContent = (p: Payload, texts: Texts): HubSpotContent => {
  const actions = Array.isArray(p.actions) ? p.actions.map((a) => str((a as Payload)?.label) ?? '').filter(Boolean) : []
  const text = texts.card({ title: str(p.title) ?? '', subtitle: str(p.subtitle), actions })
  const imageUrl = str(p.imageUrl)
  return { text, files: imageUrl ? [{ url: imageUrl, name: fileNameFromUrl(imageUrl, 'image'), usage: 'IMAGE' }] : [] }
}

export const mergeContents = (contents: HubSpotContent[]): HubSpotContent => ({
  text: contents
    .map((c) => c.text)
    .filter((t) => t.length > 0)
    .join('\n\n'),
  files: contents.flatMap((c) => c.files),
})

// HubSpot limits a message's text; long texts are sent as consecutive messages.
export const MAX_TEXT_LENGTH = 4000

export const splitText = (text: string, max = MAX_TEXT_LENGTH): string[] => {
  if (text.length <= max) return [text]
  const chunks: string[] = []
  let rest = text
  while (rest.length > max) {
    const window = rest.slice(0, max)
    const breakAt = Math.max(window.lastIndexOf('\n'), window.lastIndexOf(' '))
    const cut = breakAt > max / 2 ? breakAt : max
    chunks.push(rest.slice(0, cut).trimEnd())
    rest = rest.slice(cut).trimStart()
  }
  if (rest.length > 0) chunks.push(rest)
  return chunks
}

// The conversation so far travels in as few HubSpot messages as HubSpot allows: one text block of
// labelled lines ("Jane Doe: …", "Bot: …"), in order, behind the handover note and before the end
// note. A message holds one file, so a line with a file closes its message (the file attached), and
// a block longer than HubSpot's text limit goes on in the next message. A 20-line text history is
// then one call against the portal's rate limit instead of twenty-two.
export type TranscriptLine = { label: string; content: HubSpotContent }

export const transcriptMessages = (
  p: { header: string; lines: TranscriptLine[]; end?: string; attached: (name: string) => string },
  max = MAX_TEXT_LENGTH
): HubSpotContent[] => {
  const messages: HubSpotContent[] = []
  let text = p.header
  const flush = (files: FileToAttach[]) => {
    if (text.length > 0 || files.length > 0) messages.push({ text, files })
    text = ''
  }
  const append = (block: string, separator: string) => {
    for (const piece of splitText(block, max)) {
      const joined = text.length > 0 ? `${text}${separator}${piece}` : piece
      if (joined.length <= max) text = joined
      else {
        flush([])
        text = piece
      }
    }
  }
  p.lines.forEach((line, index) => {
    const names = line.content.files.map((file) => p.attached(file.name))
    const said = [line.content.text, ...names].filter((part) => part.length > 0).join(' ')
    append(`${line.label}: ${said}`, index === 0 ? '\n\n' : '\n')
    // One file per message: each further file of the line goes alone.
    line.content.files.forEach((file) => flush([file]))
  })
  if (p.end) append(p.end, '\n\n')
  flush([])
  return messages
}

// Agent messages: HubSpot → Botpress

export type AgentPart =
  | { kind: 'text'; text: string }
  | { kind: 'media'; as: 'image' | 'audio' | 'video' | 'file'; attachment: MessageAttachment & { url: string } }
  | { kind: 'location'; latitude: number; longitude: number; name?: string }

const VIDEO_EXTENSIONS = /\.(mp4|mov|webm|m4v|avi|mkv|ogv)$/i
const AUDIO_EXTENSIONS = /\.(mp3|m4a|wav|ogg|oga|aac|flac|opus)$/i
const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp|bmp|svg|heic)$/i

export const classifyAttachment = (attachment: MessageAttachment): 'image' | 'audio' | 'video' | 'file' => {
  const usage = attachment.fileUsageType?.toUpperCase()
  const name = attachment.name ?? attachment.url ?? ''
  if (usage === 'IMAGE' || usage === 'STICKER') return 'image'
  if (usage === 'AUDIO' || usage === 'VOICE_RECORDING') return 'audio'
  if (VIDEO_EXTENSIONS.test(name)) return 'video'
  if (IMAGE_EXTENSIONS.test(name)) return 'image'
  if (AUDIO_EXTENSIONS.test(name)) return 'audio'
  return 'file'
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&nbsp;': ' ',
}

export const htmlToText = (html: string): string =>
  html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h\d)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/\n{3,}/g, '\n\n')
    .trim()

export const agentMessageParts = (message: Message): AgentPart[] => {
  const parts: AgentPart[] = []
  const text = message.text.trim() || (message.richText ? htmlToText(message.richText) : '')
  if (text) parts.push({ kind: 'text', text })
  for (const attachment of message.attachments) {
    if (attachment.type === 'FILE' && attachment.url) {
      parts.push({
        kind: 'media',
        as: classifyAttachment(attachment),
        attachment: { ...attachment, url: attachment.url },
      })
    } else if (
      attachment.type === 'LOCATION' &&
      attachment.latitude !== undefined &&
      attachment.longitude !== undefined
    ) {
      parts.push({
        kind: 'location',
        latitude: attachment.latitude,
        longitude: attachment.longitude,
        name: attachment.name,
      })
    }
  }
  return parts
}

export type BotpressMessage =
  | { type: 'text'; payload: { text: string } }
  | { type: 'image'; payload: { imageUrl: string; title?: string } }
  | { type: 'audio'; payload: { audioUrl: string; title?: string } }
  | { type: 'video'; payload: { videoUrl: string; title?: string } }
  | { type: 'file'; payload: { fileUrl: string; title?: string } }

// `hosted` is where the customer can open the file (re-hosted by the caller) and the name it goes
// by: every kind of file carries its name as the title, so the customer sees the agent's file name.
export const partToBotpress = (
  part: AgentPart,
  texts: Texts,
  hosted?: { url: string; name?: string }
): BotpressMessage => {
  if (part.kind === 'text') return { type: 'text', payload: { text: part.text } }
  if (part.kind === 'location') {
    return {
      type: 'text',
      payload: { text: texts.location({ latitude: part.latitude, longitude: part.longitude, title: part.name }) },
    }
  }
  const url = hosted?.url ?? part.attachment.url
  const name = hosted?.name ?? part.attachment.name
  const title = name ? { title: name } : {}
  switch (part.as) {
    case 'image':
      return { type: 'image', payload: { imageUrl: url, ...title } }
    case 'audio':
      return { type: 'audio', payload: { audioUrl: url, ...title } }
    case 'video':
      return { type: 'video', payload: { videoUrl: url, ...title } }
    case 'file':
      return { type: 'file', payload: { fileUrl: url, ...title } }
  }
}
