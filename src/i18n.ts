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
  fileUnreadable: string
  noticeSenderName: string
  fileNotDelivered: (p: { name: string; reason: string }) => string
  messageNotDelivered: string
  messageRefused: string
  messageAfterClose: string
  unsupported: (type: string) => string
  attachedFile: (name: string) => string
}

const mapLink = (latitude: number, longitude: number) =>
  `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}`

const en: Texts = {
  botSenderName: 'Bot',
  customerFallbackName: 'Customer',
  agentFallbackName: 'HubSpot agent',
  handoverHeader: ({ title, description, messageCount }) =>
    [
      'Request to talk to a person, sent by the chatbot on behalf of this customer.',
      title ? `Topic: ${title}` : undefined,
      description ? `Details: ${description}` : undefined,
      messageCount > 0
        ? `The conversation with the bot so far (${messageCount} ${messageCount === 1 ? 'message' : 'messages'}), each line with who wrote it:`
        : 'There was no conversation with the bot before.',
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
  card: ({ title, subtitle, actions }) =>
    [title, subtitle, actions.length ? `Buttons: ${actions.join(' | ')}` : undefined].filter(Boolean).join('\n'),
  fileNotAttached: ({ name, reason }) => `File “${name}” could not be attached: ${reason}.`,
  noticeSenderName: 'HubSpot',
  messageNotDelivered: 'One of your messages could not reach the agent: HubSpot was unavailable. Please send it again.',
  messageRefused:
    'One of your messages could not reach the agent: HubSpot refused it. Please send it again in other words.',
  messageAfterClose: 'One of your messages did not reach the agent before the conversation was closed.',
  fileNotDelivered: ({ name, reason }) => `Your file “${name}” did not reach the agent: ${reason}.`,
  fileUnreadable:
    'HubSpot does not let the integration read this file (a hidden file needs the files.ui_hidden.read scope: the bot builder reconnects HubSpot)',
  unsupported: (type) => `(A ${type} message that cannot be shown here.)`,
  attachedFile: (name) => `(file attached: ${name})`,
}

const fr: Texts = {
  botSenderName: 'Bot',
  customerFallbackName: 'Client',
  agentFallbackName: 'Agent HubSpot',
  handoverHeader: ({ title, description, messageCount }) =>
    [
      'Demande à parler à une personne, envoyée par le chatbot au nom de ce client.',
      title ? `Sujet : ${title}` : undefined,
      description ? `Détails : ${description}` : undefined,
      messageCount > 0
        ? `La conversation avec le bot jusqu’ici (${messageCount} ${messageCount === 1 ? 'message' : 'messages'}), chaque ligne avec son auteur :`
        : 'Il n’y a pas eu de conversation avec le bot auparavant.',
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
  card: ({ title, subtitle, actions }) =>
    [title, subtitle, actions.length ? `Boutons : ${actions.join(' | ')}` : undefined].filter(Boolean).join('\n'),
  fileNotAttached: ({ name, reason }) => `Le fichier « ${name} » n’a pas pu être joint : ${reason}.`,
  noticeSenderName: 'HubSpot',
  messageNotDelivered:
    'Un de vos messages n’a pas pu parvenir à l’agent : HubSpot était indisponible. Merci de le renvoyer.',
  messageRefused: 'Un de vos messages n’a pas pu parvenir à l’agent : HubSpot l’a refusé. Merci de le reformuler.',
  messageAfterClose: 'Un de vos messages n’est pas parvenu à l’agent avant la clôture de la conversation.',
  fileNotDelivered: ({ name, reason }) => `Votre fichier « ${name} » n’est pas parvenu à l’agent : ${reason}.`,
  fileUnreadable:
    'HubSpot ne laisse pas l’intégration lire ce fichier (un fichier masqué demande le droit files.ui_hidden.read : le créateur du bot doit reconnecter HubSpot)',
  unsupported: (type) => `(Un message de type ${type} qui ne peut pas être affiché ici.)`,
  attachedFile: (name) => `(fichier joint : ${name})`,
}

const es: Texts = {
  botSenderName: 'Bot',
  customerFallbackName: 'Cliente',
  agentFallbackName: 'Agente de HubSpot',
  handoverHeader: ({ title, description, messageCount }) =>
    [
      'Solicitud para hablar con una persona, enviada por el chatbot en nombre de este cliente.',
      title ? `Asunto: ${title}` : undefined,
      description ? `Detalles: ${description}` : undefined,
      messageCount > 0
        ? `La conversación con el bot hasta ahora (${messageCount} ${messageCount === 1 ? 'mensaje' : 'mensajes'}), cada línea con su autor:`
        : 'No hubo conversación previa con el bot.',
    ]
      .filter(Boolean)
      .join('\n'),
  transcriptEnd: 'Fin de la conversación con el bot. Sus respuestas ahora llegan al cliente.',
  notice: (text) => `Aviso del bot: ${text}`,
  sessionEnded: 'No entregado: la sesión de chat del cliente ha terminado.',
  notDelivered: (reason) => `No entregado: ${reason}`,
  reopenedAfterEnd: 'Esta conversación terminó del lado del chatbot: sus respuestas aquí ya no llegan al cliente.',
  location: ({ latitude, longitude, address, title }) =>
    `Ubicación: ${[title, address].filter(Boolean).join(', ') || `${latitude}, ${longitude}`} (${mapLink(latitude, longitude)})`,
  choices: (text, options) => `${text}\nOpciones ofrecidas: ${options.join(' | ')}`,
  card: ({ title, subtitle, actions }) =>
    [title, subtitle, actions.length ? `Botones: ${actions.join(' | ')}` : undefined].filter(Boolean).join('\n'),
  fileNotAttached: ({ name, reason }) => `No se pudo adjuntar el archivo «${name}»: ${reason}.`,
  noticeSenderName: 'HubSpot',
  messageNotDelivered:
    'Uno de sus mensajes no pudo llegar al agente: HubSpot no estaba disponible. Envíelo de nuevo, por favor.',
  messageRefused:
    'Uno de sus mensajes no pudo llegar al agente: HubSpot lo rechazó. Escríbalo de otra forma, por favor.',
  messageAfterClose: 'Uno de sus mensajes no llegó al agente antes de que se cerrara la conversación.',
  fileNotDelivered: ({ name, reason }) => `Su archivo «${name}» no llegó al agente: ${reason}.`,
  fileUnreadable:
    'HubSpot no permite que la integración lea este archivo (un archivo oculto requiere el permiso files.ui_hidden.read: quien creó el bot debe volver a conectar HubSpot)',
  unsupported: (type) => `(Un mensaje de tipo ${type} que no se puede mostrar aquí.)`,
  attachedFile: (name) => `(archivo adjunto: ${name})`,
}

const de: Texts = {
  botSenderName: 'Bot',
  customerFallbackName: 'Kunde',
  agentFallbackName: 'HubSpot-Agent',
  handoverHeader: ({ title, description, messageCount }) =>
    [
      'Anfrage, mit einem Menschen zu sprechen, vom Chatbot im Namen dieses Kunden gesendet.',
      title ? `Betreff: ${title}` : undefined,
      description ? `Details: ${description}` : undefined,
      messageCount > 0
        ? `Das bisherige Gespräch mit dem Bot (${messageCount} ${messageCount === 1 ? 'Nachricht' : 'Nachrichten'}), jede Zeile mit ihrem Verfasser:`
        : 'Es gab zuvor kein Gespräch mit dem Bot.',
    ]
      .filter(Boolean)
      .join('\n'),
  transcriptEnd: 'Ende des Gesprächs mit dem Bot. Ihre Antworten erreichen jetzt den Kunden.',
  notice: (text) => `Hinweis des Bots: ${text}`,
  sessionEnded: 'Nicht zugestellt: Die Chat-Sitzung des Kunden ist beendet.',
  notDelivered: (reason) => `Nicht zugestellt: ${reason}`,
  reopenedAfterEnd:
    'Dieses Gespräch ist auf der Chatbot-Seite beendet: Antworten hier erreichen den Kunden nicht mehr.',
  location: ({ latitude, longitude, address, title }) =>
    `Standort: ${[title, address].filter(Boolean).join(', ') || `${latitude}, ${longitude}`} (${mapLink(latitude, longitude)})`,
  choices: (text, options) => `${text}\nAngebotene Optionen: ${options.join(' | ')}`,
  card: ({ title, subtitle, actions }) =>
    [title, subtitle, actions.length ? `Schaltflächen: ${actions.join(' | ')}` : undefined].filter(Boolean).join('\n'),
  fileNotAttached: ({ name, reason }) => `Die Datei „${name}“ konnte nicht angehängt werden: ${reason}.`,
  noticeSenderName: 'HubSpot',
  messageNotDelivered:
    'Eine Ihrer Nachrichten hat den Mitarbeiter nicht erreicht: HubSpot war nicht erreichbar. Bitte senden Sie sie erneut.',
  messageRefused:
    'Eine Ihrer Nachrichten hat den Mitarbeiter nicht erreicht: HubSpot hat sie abgelehnt. Bitte formulieren Sie sie anders.',
  messageAfterClose: 'Eine Ihrer Nachrichten hat den Mitarbeiter vor dem Schließen der Unterhaltung nicht erreicht.',
  fileNotDelivered: ({ name, reason }) => `Ihre Datei „${name}“ hat den Mitarbeiter nicht erreicht: ${reason}.`,
  fileUnreadable:
    'HubSpot lässt die Integration diese Datei nicht lesen (eine versteckte Datei braucht den Scope files.ui_hidden.read: HubSpot muss neu verbunden werden)',
  unsupported: (type) => `(Eine Nachricht vom Typ ${type}, die hier nicht angezeigt werden kann.)`,
  attachedFile: (name) => `(Datei angehängt: ${name})`,
}

export const catalogue: Record<Configuration['language'], Texts> = { en, fr, es, de }

export const textsFor = (language: Configuration['language'] | undefined): Texts => catalogue[language ?? 'en'] ?? en
