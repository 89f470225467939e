// What handling one HubSpot event came to, as the webhook's answer lists it.
export type ReplyOutcome = 'refused: session ended' | 'delivered' | `delivered with ${number} earlier message(s)`

// The event is about a thread no session of this installation names: another installation of the
// app may own it (webhook/receive.ts hands it on).
export const NOT_A_HITL_THREAD = 'ignored: not a HITL thread'
export type NotAHitlThread = typeof NOT_A_HITL_THREAD

// Handed on to the installation of the app whose thread it is (forwarding.ts).
export type Forwarded = `forwarded to ${string}`

export type Outcome =
  | ReplyOutcome
  | NotAHitlThread
  | 'agent assigned'
  | 'unassigned'
  | 'session stopped'
  | 'held: delivered once the plugin sees the session'
  | 'recorded: applied once the plugin sees the session'
  | 'recorded: applied by the process handling the session'
  | 'agent told the session has ended'
  | Forwarded
  | `ignored: ${string}`

export const isNotAHitlThread = (outcome: Outcome): outcome is NotAHitlThread => outcome === NOT_A_HITL_THREAD
