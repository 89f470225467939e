// The integration's types, inferred from the very schemas the definition is built from (there is no
// generated .botpress folder). `Integration` is the type argument of sdk.Integration.
import type * as sdk from '@botpress/sdk'
import type { z } from '@botpress/sdk'
import type {
  createUserInputSchema,
  createUserOutputSchema,
  hitlAssignedSchema,
  hitlMessageSchemas,
  hitlStoppedSchema,
  makeStartHitlInputSchema,
  startHitlOutputSchema,
  stopHitlInputSchema,
  stopHitlOutputSchema,
} from '../bp_modules/hitl'
import type {
  ConnectState,
  InboxChoiceState,
  ManualConfiguration,
  OneClickConfiguration,
  LockState,
  conversationTags,
  hitlSessionSchema,
  integrationName,
  integrationVersion,
  messageTags,
  OAuthState,
  SetupState,
  userTags,
} from '../definitions'

type Tags<T> = { -readonly [K in keyof T]: string }

export type HitlMessages = { [K in keyof typeof hitlMessageSchemas]: z.infer<(typeof hitlMessageSchemas)[K]> }
export type HitlMessageType = keyof HitlMessages
export type StartHitlInput = z.infer<ReturnType<typeof makeStartHitlInputSchema<typeof hitlSessionSchema>>>
export type HistoryMessage = StartHitlInput['messageHistory'][number]

export type Integration = {
  name: typeof integrationName
  version: typeof integrationVersion
  configuration: OneClickConfiguration
  configurations: { manual: ManualConfiguration }
  actions: {
    createUser: { input: z.infer<typeof createUserInputSchema>; output: z.infer<typeof createUserOutputSchema> }
    startHitl: { input: StartHitlInput; output: z.infer<typeof startHitlOutputSchema> }
    stopHitl: { input: z.infer<typeof stopHitlInputSchema>; output: z.infer<typeof stopHitlOutputSchema> }
  }
  channels: {
    hitl: {
      messages: HitlMessages
      message: { tags: Tags<typeof messageTags> }
      conversation: { tags: Tags<typeof conversationTags> }
    }
  }
  events: {
    hitlAssigned: z.infer<typeof hitlAssignedSchema>
    hitlStopped: z.infer<typeof hitlStoppedSchema>
  }
  states: {
    setup: { type: 'integration'; payload: SetupState }
    oauth: { type: 'integration'; payload: OAuthState }
    connect: { type: 'integration'; payload: ConnectState }
    inboxChoice: { type: 'integration'; payload: InboxChoiceState }
    lock: { type: 'conversation'; payload: LockState }
  }
  user: { tags: Tags<typeof userTags> }
  entities: { hitlSession: z.infer<typeof hitlSessionSchema> }
}

export type Client = sdk.IntegrationSpecificClient<Integration>
export type Context = sdk.IntegrationContext<Integration>
export type IntegrationProps = sdk.IntegrationProps<Integration>
export type ConversationTagValues = Partial<Tags<typeof conversationTags>>
export type UserTagValues = Partial<Tags<typeof userTags>>
