import { z } from '@botpress/sdk'

export const hitlSessionSchema = z.object({
  inboxId: z
    .string()
    .optional()
    .title('Inbox ID')
    .describe(
      'HubSpot inbox to route this session to; must be the default inbox or one of the other configured inboxes'
    ),
})

export const entities = {
  hitlSession: {
    title: 'HubSpot HITL session',
    description: 'Options of one escalation to HubSpot',
    schema: hitlSessionSchema,
  },
} as const
