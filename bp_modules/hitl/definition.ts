// The `hitl` interface 2.0.0 as Botpress publishes it, rebuilt with the SDK's own building blocks
// (what `bp add interface:hitl@2.0.0` would write). The schemas are exported so the integration can
// infer its action and message types from them.
import * as sdk from '@botpress/sdk'

const { z } = sdk

const withUserId = <S extends sdk.z.AnyZodObject>(schema: S) =>
  schema.extend({
    userId: z.string().optional().title('User ID').describe('Allows sending a message pretending to be a certain user'),
  })

const messageSourceSchema = z.union([
  z.object({ type: z.literal('user'), userId: z.string() }),
  z.object({ type: z.literal('bot') }),
])

const d = sdk.messages.defaults
// As published in hitl 2.0.0 (generated with an older SDK than today's defaults): image, audio and
// video carry only their URL, no title; history bloc items may also be markdown.
const image = d.image.schema.omit({ title: true })
const audio = d.audio.schema.omit({ title: true })
const video = d.video.schema.omit({ title: true })

export const historyMessageSchema = z.union([
  z.object({ source: messageSourceSchema, type: z.literal('text'), payload: d.text.schema }),
  z.object({ source: messageSourceSchema, type: z.literal('image'), payload: image }),
  z.object({ source: messageSourceSchema, type: z.literal('audio'), payload: audio }),
  z.object({ source: messageSourceSchema, type: z.literal('video'), payload: video }),
  z.object({ source: messageSourceSchema, type: z.literal('file'), payload: d.file.schema }),
  z.object({ source: messageSourceSchema, type: z.literal('location'), payload: d.location.schema }),
  z.object({ source: messageSourceSchema, type: z.literal('carousel'), payload: d.carousel.schema }),
  z.object({ source: messageSourceSchema, type: z.literal('card'), payload: d.card.schema }),
  z.object({ source: messageSourceSchema, type: z.literal('dropdown'), payload: d.dropdown.schema }),
  z.object({ source: messageSourceSchema, type: z.literal('choice'), payload: d.choice.schema }),
  z.object({ source: messageSourceSchema, type: z.literal('bloc'), payload: sdk.messages.markdownBloc.schema }),
  z.object({ source: messageSourceSchema, type: z.literal('markdown'), payload: sdk.messages.markdown.schema }),
])

export const hitlMessageSchemas = {
  text: withUserId(d.text.schema),
  image: withUserId(image),
  audio: withUserId(audio),
  video: withUserId(video),
  file: withUserId(d.file.schema),
  bloc: withUserId(sdk.messages.markdownBloc.schema),
}

export const createUserInputSchema = z.object({
  name: z.string().title('Name').describe('Display name of the user'),
  pictureUrl: z.string().optional().title('Picture URL').describe('URL of the user picture'),
  email: z.string().optional().title('Email').describe('Email address (or phone number) of the user'),
})
export const createUserOutputSchema = z.object({
  userId: z.string().title('User ID').describe('ID of the Botpress user representing the external user'),
})

export const makeStartHitlInputSchema = <E extends sdk.z.ZodTypeAny>(hitlSession: E) =>
  z.object({
    userId: z.string().title('User ID').describe('ID of the Botpress user representing the end user'),
    title: z.string().optional().title('Title').describe('Title of the HITL session'),
    description: z.string().optional().title('Description').describe('Description of the HITL session'),
    hitlSession: hitlSession.optional().title('HITL session').describe('Additional data about the HITL session'),
    messageHistory: z
      .array(historyMessageSchema)
      .title('Message history')
      .describe('Message history to display in the HITL session'),
  })
export const startHitlOutputSchema = z.object({
  conversationId: z
    .string()
    .title('Conversation ID')
    .describe('ID of the Botpress conversation representing the HITL session'),
})
export const stopHitlInputSchema = z.object({
  conversationId: z
    .string()
    .title('Conversation ID')
    .describe('ID of the Botpress conversation representing the HITL session'),
})
export const stopHitlOutputSchema = z.object({})

export const hitlAssignedSchema = z.object({
  conversationId: z
    .string()
    .title('Conversation ID')
    .describe('ID of the Botpress conversation representing the HITL session'),
  userId: z
    .string()
    .title('Agent user ID')
    .describe('ID of the Botpress user representing the human agent assigned to the HITL session'),
})
export const hitlStoppedSchema = z.object({
  conversationId: z
    .string()
    .title('Conversation ID')
    .describe('ID of the Botpress conversation representing the HITL session'),
})

const hidden = sdk.WELL_KNOWN_ATTRIBUTES.HIDDEN_IN_STUDIO

export const hitlInterfaceDefinition = new sdk.InterfaceDefinition({
  name: 'hitl',
  version: '2.0.0',
  entities: {
    hitlSession: {
      title: 'Human in the loop session',
      description: 'A session where a human agent takes over the conversation',
      schema: z.object({}),
    },
  },
  events: {
    hitlAssigned: { attributes: { ...hidden }, schema: () => hitlAssignedSchema },
    hitlStopped: { attributes: { ...hidden }, schema: () => hitlStoppedSchema },
  },
  actions: {
    createUser: {
      title: 'Create external user',
      description: 'Create an end user in the external service and in Botpress',
      attributes: { ...hidden },
      input: { schema: () => createUserInputSchema },
      output: { schema: () => createUserOutputSchema },
    },
    startHitl: {
      title: 'Start new HITL session',
      description: 'Create a new HITL session in the external service and in Botpress',
      attributes: { ...hidden },
      input: { schema: (entities) => makeStartHitlInputSchema(entities.hitlSession) },
      output: { schema: () => startHitlOutputSchema },
    },
    stopHitl: {
      title: 'Stop HITL session',
      description: 'Stop an existing HITL session in the external service',
      attributes: { ...hidden },
      input: { schema: () => stopHitlInputSchema },
      output: { schema: () => stopHitlOutputSchema },
    },
  },
  channels: {
    hitl: {
      messages: {
        text: { schema: () => hitlMessageSchemas.text },
        image: { schema: () => hitlMessageSchemas.image },
        audio: { schema: () => hitlMessageSchemas.audio },
        video: { schema: () => hitlMessageSchemas.video },
        file: { schema: () => hitlMessageSchemas.file },
        bloc: { schema: () => hitlMessageSchemas.bloc },
      },
    },
  },
})
