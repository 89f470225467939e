// The typed session read from a conversation's tags, and when the hitl plugin sees its events.
import { beforeEach, describe, expect, it } from 'vitest'
import { activationOf } from '../../src/hitl/activation'
import { sessionFromTags } from '../../src/hitl/session'

const base = {
  channelId: '2001',
  channelAccountId: '3001',
  inboxId: '1001',
  customerUserId: 'user_1',
  customerName: 'Jane Doe',
  deliveryType: 'HS_EMAIL_ADDRESS',
  deliveryValue: 'jane@example.com',
}

describe('sessionFromTags', () => {
  it.each([
    ['created, HubSpot has not named the thread', { ...base, opening: 'true', closed: 'false' }, 'opening', false],
    [
      'thread recorded, startHitl still running',
      { ...base, opening: 'false', closed: 'false', hubspotThreadId: '77' },
      'opening',
      true,
    ],
    [
      'startHitl finished',
      { ...base, opening: 'false', closed: 'false', hubspotThreadId: '77', readyAt: '1000' },
      'ready',
      true,
    ],
    ['started by an earlier version (no opening, no readyAt)', { ...base, hubspotThreadId: '77' }, 'ready', true],
    ['ended', { ...base, hubspotThreadId: '77', readyAt: '1000', closed: 'true' }, 'closed', true],
  ])('%s', (_, tags, phase, addressed) => {
    const session = sessionFromTags('conv_1', tags)
    expect(session.phase).toBe(phase)
    expect(session.address !== undefined).toBe(addressed)
  })

  it.each([
    ['nothing recorded', {}, undefined],
    ['recorded, nothing applied', { pendingAssignment: '2000|A-111' }, { occurredAt: 2000, actorId: 'A-111' }],
    ['recorded unassignment', { pendingAssignment: '2000|' }, { occurredAt: 2000, actorId: undefined }],
    ['applied already', { pendingAssignment: '2000|A-111', assignedActorId: 'A-111', assignedAt: '2000' }, undefined],
    [
      'a newer one recorded after one applied',
      { pendingAssignment: '3000|A-222', assignedActorId: 'A-111', assignedAt: '2000' },
      { occurredAt: 3000, actorId: 'A-222' },
    ],
    ['malformed', { pendingAssignment: 'soon|someone' }, undefined],
  ])('pending assignment: %s', (_, tags, expected) => {
    expect(
      sessionFromTags('conv_1', { ...base, hubspotThreadId: '77', readyAt: '1', ...tags }).assignmentToApply
    ).toEqual(expected)
  })

  it('reads the plugin link whatever the plugin alias', () => {
    expect(sessionFromTags('conv_1', { ...base, 'my-hitl#upstream': 'conv_0' }).linkedByPlugin).toBe(true)
    expect(sessionFromTags('conv_1', { ...base, upstream: 'conv_0' }).linkedByPlugin).toBe(false)
  })
})

describe('activationOf', () => {
  // Production's values (another test file of this worker may have set the testbed's).
  beforeEach(() => {
    process.env.HITL_PLUGIN_ACTIVATION_GRACE_MS = '5000'
    process.env.HITL_PLUGIN_LINK_MARGIN_MS = '600'
  })

  const ready = (tags: Record<string, string>) =>
    sessionFromTags(`conv_${Math.random()}`, {
      ...base,
      hubspotThreadId: '77',
      opening: 'false',
      closed: 'false',
      ...tags,
    })

  it('is starting while startHitl runs, and ended once closed', () => {
    expect(activationOf(ready({}), 5_000)).toEqual({ state: 'starting' })
    expect(activationOf(ready({ readyAt: '1000', closed: 'true' }), 5_000)).toEqual({ state: 'ended' })
  })

  it('without the plugin link, waits the grace after startHitl returned', () => {
    const session = ready({ readyAt: '1000' })
    expect(activationOf(session, 1_100)).toEqual({ state: 'activates', at: 6_000 })
    expect(activationOf(session, 6_000)).toEqual({ state: 'active' })
  })

  it('with the plugin link seen, is active a margin after it was first seen', () => {
    const session = ready({ readyAt: '1000', 'hitl#upstream': 'conv_0' })
    expect(activationOf(session, 1_200)).toEqual({ state: 'activates', at: 1_800 })
    expect(activationOf(session, 1_500)).toEqual({ state: 'activates', at: 1_800 })
    expect(activationOf(session, 1_800)).toEqual({ state: 'active' })
  })
})
