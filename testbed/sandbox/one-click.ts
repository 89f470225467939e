// `npm start -- --one-click`: the sandbox's installation is on the default configuration (no
// HubSpot credentials; the publisher's app, its project uploaded to the HubSpot stand-in and its
// secrets given to the integration) and not connected yet. The page's setup strip plays what the
// bot builder does in Botpress: the Connect button (the link linkTemplate.vrl renders for this
// installation), saving the default inbox ID (the configuration saved again, so register runs;
// without it, the inbox picked on the connection page is used), and removing the integration
// (unregister: the token is revoked).
import { z } from 'zod'
import { DriverError } from '../botpress/driver'
import { connectLink } from '../botpress/link-template'
import type { WorldOptions, World } from '../world'
import type { EventLog } from './event-log'

export type OneClickSnapshot = {
  // The Connect button's link.
  connectUrl: string
  // 'removed': unregister ran; "Add again" installs it again (register), as adding it back in Botpress.
  state: 'not-connected' | 'connected' | 'removed'
  // The portal this installation owns as its identifier (Botpress routes its webhooks here).
  portalId: string | null
  // The configuration's "Default inbox ID"; it wins over the inbox picked on the connection page.
  defaultInboxId: string | null
  // The inbox picked on the integration's connection page (its inboxChoice state), if any.
  pickedInboxId: string | null
}

// The world of a one-click sandbox: the default configuration as a bot builder adds it (no inbox
// chosen yet), and HubSpot's install page in the browser.
export const oneClickWorldOptions = (base: WorldOptions = {}): WorldOptions => ({
  ...base,
  oneClick: true,
  configuration: { defaultInboxId: undefined, additionalInboxIds: [], ...base.configuration },
  hubspot: { ...base.hubspot, consentPage: true },
})

export const saveInboxInput = z.object({
  defaultInboxId: z
    .string()
    .trim()
    .regex(/^(\d+)?$/, 'the default inbox ID is a number, as listed on the page HubSpot led to (empty: none)'),
})

// What Botpress shows of a failed register: the integration's message, not the envelope around it.
const messageOf = (error: unknown): string => {
  if (error instanceof DriverError) {
    const body = error.body as { message?: unknown } | undefined
    if (typeof body?.message === 'string') return body.message
  }
  return error instanceof Error ? error.message : String(error)
}

export class OneClickSetup {
  private removed = false
  private lastPortal: string | null = null
  private lastPick: string | null = null

  public constructor(
    private readonly world: World,
    private readonly log: EventLog
  ) {}

  private get configuration(): Record<string, unknown> {
    return this.world.driver.configuration as Record<string, unknown>
  }

  private portalId(): string | null {
    return this.world.bp.store.integrationSettings.get(this.world.driver.integrationId)?.identifier ?? null
  }

  private pickedInboxId(): string | null {
    const choice = this.world.bp.store.findState('integration', this.world.driver.integrationId, 'inboxChoice')
    const picked = (choice?.payload as { defaultInboxId?: unknown } | null | undefined)?.defaultInboxId
    return typeof picked === 'string' ? picked : null
  }

  public snapshot(): OneClickSnapshot {
    const portalId = this.portalId()
    const inbox = this.configuration.defaultInboxId
    return {
      connectUrl: connectLink(this.world.driver, this.world.bp.webhookBaseUrl),
      state: this.removed ? 'removed' : portalId ? 'connected' : 'not-connected',
      portalId,
      defaultInboxId: typeof inbox === 'string' && inbox !== '' ? inbox : null,
      pickedInboxId: this.pickedInboxId(),
    }
  }

  // Called on the sandbox's poll: the Connect flow happens in another tab, through Botpress's OAuth route.
  public poll(): void {
    const portalId = this.portalId()
    if (portalId && portalId !== this.lastPortal) {
      this.log.add({
        source: 'botpress',
        kind: 'action',
        text: `HubSpot portal ${portalId} connected with the Connect button: this installation owns it as its identifier`,
      })
    }
    this.lastPortal = portalId
    const picked = this.pickedInboxId()
    if (picked && picked !== this.lastPick) {
      this.log.add({ source: 'botpress', kind: 'action', text: `Inbox ${picked} picked on the connection page` })
    }
    this.lastPick = picked
  }

  // The bot builder types the inbox ID into the configuration and saves: Botpress runs register.
  public async saveDefaultInbox(input: z.infer<typeof saveInboxInput>): Promise<void> {
    const previous = this.configuration.defaultInboxId
    this.configuration.defaultInboxId = input.defaultInboxId || undefined
    try {
      await this.world.driver.register()
    } catch (error) {
      // Botpress keeps a configuration whose save failed out of the installation, and shows the
      // integration's message.
      this.configuration.defaultInboxId = previous
      throw new Error(`Not saved. ${messageOf(error)}`)
    }
    this.log.add({
      source: 'bot',
      kind: 'action',
      text: `Configuration saved: ${input.defaultInboxId ? `default inbox ${input.defaultInboxId}` : 'no default inbox'} (register ran again)`,
    })
  }

  // Removing the integration from the bot: Botpress runs unregister.
  public async remove(): Promise<void> {
    const live = () =>
      [...this.world.hs.portal.tokens.refresh.values()].filter(
        (token) => !token.revoked && token.token !== this.world.hs.refreshToken
      )
    const before = live().map((token) => token.token)
    await this.world.driver.unregister()
    const revoked = before.filter((token) => this.world.hs.portal.tokens.refresh.get(token)?.revoked).length
    this.removed = true
    this.log.add({
      source: 'bot',
      kind: 'action',
      text: `Integration removed (unregister ran): ${revoked} HubSpot token${revoked === 1 ? '' : 's'} revoked`,
    })
  }

  // Adding the integration back: the same default configuration, registered again, not connected.
  public async addAgain(): Promise<void> {
    await this.world.driver.register()
    this.removed = false
    this.log.add({ source: 'bot', kind: 'action', text: 'Integration added again (register ran): press Connect' })
  }
}
