// One-click: the inbox picked on the connection page, so a bot builder who left "Default inbox ID"
// empty never copies an ID. The configuration wins whenever it names an inbox; the pick is kept in
// its own integration state (written only by the pick page and teardown), so register's writes of
// the setup state never race it away.
//
// Who may pick: the person who just approved the app in HubSpot. The page they land on carries a
// short-lived proof (an HMAC under the publisher app's client secret of the webhook ID, the portal
// and the expiry); the state alone is the webhook ID, which anyone who knows it could send.
import { createHmac } from 'node:crypto'
import { inboxChoiceStateSchema, type InboxChoiceState } from '../../definitions'
import { constantTimeEqual } from '../hubspot/signature'
import { isNotFound, type Deps } from './context'

export const PICK_PROOF_TTL_MS = 30 * 60 * 1000

const proofOf = (clientSecret: string, webhookId: string, portalId: string, expiresAt: number): string =>
  createHmac('sha256', clientSecret)
    .update(`pick-inbox:${webhookId}:${portalId}:${expiresAt}`)
    .digest('base64url')
    .slice(0, 32)

export type PickProof = { proof: string; expires: string }

export const pickProofFor = (deps: Pick<Deps, 'config' | 'ctx'>, portalId: string, now = Date.now()): PickProof => {
  const expiresAt = now + PICK_PROOF_TTL_MS
  return {
    proof: proofOf(deps.config.clientSecret, deps.ctx.webhookId, portalId, expiresAt),
    expires: String(expiresAt),
  }
}

export const isPickProof = (
  deps: Pick<Deps, 'config' | 'ctx'>,
  portalId: string,
  given: { proof: string | null; expires: string | null },
  now = Date.now()
): boolean => {
  const expiresAt = Number(given.expires)
  if (!given.proof || !Number.isSafeInteger(expiresAt) || expiresAt < now) return false
  return constantTimeEqual(given.proof, proofOf(deps.config.clientSecret, deps.ctx.webhookId, portalId, expiresAt))
}

const stateKey = (deps: Pick<Deps, 'ctx'>) =>
  ({ type: 'integration', id: deps.ctx.integrationId, name: 'inboxChoice' }) as const

// Not cached: read only when an escalation names no inbox and the configuration has no default, and
// another process may have just written it.
export const readInboxChoice = async (deps: Pick<Deps, 'client' | 'ctx'>): Promise<InboxChoiceState | undefined> => {
  try {
    const { state } = await deps.client.getState(stateKey(deps))
    const parsed = inboxChoiceStateSchema.safeParse(state.payload)
    return parsed.success ? parsed.data : undefined
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

export const writeInboxChoice = async (
  deps: Pick<Deps, 'client' | 'ctx'>,
  choice: InboxChoiceState | null
): Promise<void> => {
  await deps.client.setState({ ...stateKey(deps), payload: choice })
}

// The inbox escalations go to when the hitl session names none: the configuration's, else the one
// picked on the connection page for the portal this installation is connected to.
export const pickedInboxFor = (choice: InboxChoiceState | undefined, portalId: string | undefined): string =>
  choice && portalId && choice.portalId === portalId ? choice.defaultInboxId : ''
