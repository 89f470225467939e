// Every text the integration itself writes into HubSpot, in each supported language.
import type { Configuration } from '../definitions'

export type Texts = {
  botSenderName: string
  customerFallbackName: string
  agentFallbackName: string
  handoverHeader: (p: { title?: string; description?: string; messageCount: number }) => string
  transcriptEnd: string
  notice: (text: string) => string
  sessionEnded: string
  notDelivered: (reason: string) => string
  reopenedAfterEnd: string
  location: (p: { latitude: number; longitude: number; address?: string; title?: string }) => string
  choices: (text: string, options: string[]) => string
  card: (p: { title: string; subtitle?: string; actions: string[] }) => string
  fileNotAttached: (p: { name: string; reason: string }) => string
  unsupported: (type: string) => string
}

const mapLink = (latitude: number, longitude: number) => `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}`

const en: Texts = {
  botSenderName: 'Bot',
  customerFallbackName: 'Customer',
  agentFallbackName: 'HubSpot agent',
  handoverHeader: ({ title, description, messageCount }) =>
    [
      'A customer was handed over by the chatbot.',
      title ? `Topic: ${title}` : undefined,
      description ? `Details: ${description}` : undefined,
      messageCount > 0 ? `The ${messageCount} messages of the conversation with the bot follow.` : 'There was no conversation with the bot before.',
    ]
      .filter(Boolean)
      .join('\n'),
  transcriptEnd: 'End of the conversation with the bot. Your replies now reach the customer.',
  notice: (text) => `Notice from the bot: ${text}`,
  sessionEnded: 'Not delivered: the customer’s chat session has ended.',
  notDelivered: (reason) => `Not delivered: ${reason}`,
  reopenedAfterEnd: 'This conversation has ended on the chatbot side: replies here no longer reach the customer.',
  location: ({ latitude, longitude, address, title }) =>
    `Location: ${[title, address].filter(Boolean).join(', ') || `${latitude}, ${longitude}`} (${mapLink(latitude, longitude)})`,
  choices: (text, options) => `${text}\nOptions offered: ${options.join(' | ')}`,
  card: ({ title, subtitle, actions }) => [title, subtitle, actions.length ? `Buttons: ${actions.join(' | ')}` : undefined].filter(Boolean).join('\n'),
  fileNotAttached: ({ name, reason }) => `File “${name}” could not be attached: ${reason}.`,
  unsupported: (type) => `(A ${type} message that cannot be shown here.)`,
}

const fr: Texts = {
  botSenderName: 'Bot',
  customerFallbackName: 'Client',
  agentFallbackName: 'Agent HubSpot',
  handoverHeader: ({ title, description, messageCount }) =>
    [
      'Le chatbot vous transfère un client.',
      title ? `Sujet : ${title}` : undefined,
      description ? `Détails : ${description}` : undefined,
      messageCount > 0 ? `Suivent les ${messageCount} messages de la conversation avec le bot.` : 'Il n’y a pas eu de conversation avec le bot auparavant.',
    ]
      .filter(Boolean)
      .join('\n'),
  transcriptEnd: 'Fin de la conversation avec le bot. Vos réponses parviennent désormais au client.',
  notice: (text) => `Message du bot : ${text}`,
  sessionEnded: 'Non distribué : la session de discussion du client est terminée.',
  notDelivered: (reason) => `Non distribué : ${reason}`,
  reopenedAfterEnd: 'Cette conversation est terminée côté chatbot : vos réponses ici ne parviennent plus au client.',
  location: ({ latitude, longitude, address, title }) =>
    `Position : ${[title, address].filter(Boolean).join(', ') || `${latitude}, ${longitude}`} (${mapLink(latitude, longitude)})`,
  choices: (text, options) => `${text}\nChoix proposés : ${options.join(' | ')}`,
  card: ({ title, subtitle, actions }) => [title, subtitle, actions.length ? `Boutons : ${actions.join(' | ')}` : undefined].filter(Boolean).join('\n'),
  fileNotAttached: ({ name, reason }) => `Le fichier « ${name} » n’a pas pu être joint : ${reason}.`,
  unsupported: (type) => `(Un message de type ${type} qui ne peut pas être affiché ici.)`,
}

export const catalogue: Record<Configuration['language'], Texts> = { en, fr }

export const textsFor = (language: Configuration['language'] | undefined): Texts => catalogue[language ?? 'en'] ?? en
