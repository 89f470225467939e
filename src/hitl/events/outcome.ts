// What handling one HubSpot event came to, as the webhook's answer lists it.
export type Outcome =
  | 'agent assigned'
  | 'unassigned'
  | 'session stopped'
  | 'delivered'
  | `delivered with ${number} earlier message(s)`
  | 'refused: session ended'
  | 'held: delivered once the plugin sees the session'
  | 'recorded: applied once the plugin sees the session'
  | 'recorded: applied by the process handling the session'
  | 'agent told the session has ended'
  | `forwarded: ${string}`
  | `ignored: ${string}`
