// [publisher-routing] The publisher's one app serves every customer's portal: Botpress's global
// route hands each app webhook to the installation that owns its portal's identifier, that
// installation hands on what belongs to another bot of the same portal (src/hitl/forwarding.ts),
// and nothing ever crosses from one customer's portal to another's.
import { afterEach, describe, expect, it } from 'vitest'
import { HitlBot } from '../../testbed/botpress/hitl-bot'
import { setPublisherSecrets } from '../../testbed/world'
import { settle, world } from './helpers'

afterEach(() => setPublisherSecrets(undefined))

describe('[publisher-routing] removing an installation', () => {
  it('[publisher-routing] removing a one-click installation hands nothing over: no other installation is told or sent anything', async () => {
    const w = await world({ oneClick: true })
    await w.pressConnect()
    const otherDriver = w.connect(w.configuration)
    await otherDriver.register()
    await w.pressConnect(otherDriver)
    const other = new HitlBot(w.bp, otherDriver)

    await w.driver.unregister()
    await settle(w)
    // In manual mode the removed installation tells the others where the app's webhooks must go;
    // the publisher app's webhooks go to Botpress's global route, and its other installations are
    // other customers' bots.
    expect(w.bp.relayed).toEqual([])
    const otherSetup = w.bp.store.findState('integration', otherDriver.integrationId, 'setup')?.payload
    expect(otherSetup).toBeDefined()
    expect(otherSetup).not.toHaveProperty('removedSibling')
    other.dispose()
  })
})
