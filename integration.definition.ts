import { IntegrationDefinition } from '@botpress/sdk'
import hitl from './bp_modules/hitl'
import {
  conversationTags,
  entities,
  integrationName,
  integrationVersion,
  manualConfigurationSchema,
  messageTags,
  oneClickConfigurationSchema,
  publisherSecrets,
  states,
  userTags,
} from './definitions'

export default new IntegrationDefinition({
  name: integrationName,
  version: integrationVersion,
  title: 'HubSpot Inbox HITL',
  description:
    'Hand a chatbot conversation to a live agent in a HubSpot inbox, with the transcript, files and the agent name, and get it back when the agent closes the thread.',
  icon: 'icon.svg',
  readme: 'hub.md',
  // One-click (the default): Botpress shows a Connect button whose link linkTemplate.vrl writes.
  configuration: { schema: oneClickConfigurationSchema, identifier: { linkTemplateScript: 'linkTemplate.vrl' } },
  configurations: {
    manual: {
      title: 'Manual: your own HubSpot app',
      description:
        'Bring your own HubSpot app: its client ID, client secret, app ID and developer API key, and connect with the link the integration gives',
      schema: manualConfigurationSchema,
    },
  },
  // Webhooks of the publisher app reach Botpress's global route; extract.vrl names the portal, and
  // Botpress hands the request to the installation that claimed that portal as its identifier.
  identifier: { extractScript: 'extract.vrl' },
  secrets: publisherSecrets,
  states,
  entities,
  user: { tags: userTags },
  channels: {},
}).extend(hitl, (self) => ({
  entities: { hitlSession: self.entities.hitlSession },
  channels: {
    hitl: {
      title: 'HubSpot inbox',
      description: 'Messages exchanged with the HubSpot agent during a HITL session',
      conversation: { tags: conversationTags },
      message: { tags: messageTags },
    },
  },
  events: {
    hitlAssigned: { title: 'Agent assigned', description: 'A HubSpot agent was assigned to the HITL session' },
    hitlStopped: {
      title: 'Session closed',
      description: 'The HubSpot agent closed the thread, ending the HITL session',
    },
  },
  actions: {
    createUser: {
      title: 'Create user',
      description: 'Resolve the customer as a HubSpot contact and create the Botpress user',
    },
    startHitl: {
      title: 'Start HITL',
      description: 'Open a HubSpot thread with the transcript and the Botpress conversation of the session',
    },
    stopHitl: { title: 'Stop HITL', description: 'Close the HubSpot thread of the session' },
  },
}))
