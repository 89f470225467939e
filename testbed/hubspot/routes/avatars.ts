// Agent pictures, standing in for HubSpot's avatar CDN.
import { notFound } from '../errors'
import type { RouteTable } from '../router'
import type { StandInState } from '../state'

const PALETTE = ['#ff7a59', '#00a4bd', '#7c98b6', '#f5c26b', '#6a78d1']

const initialsOf = (name: string): string =>
  name
    .split(/\s+/)
    .map((part) => part[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase()

const avatarSvg = (name: string, colorIndex: number): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">` +
  `<circle cx="48" cy="48" r="48" fill="${PALETTE[colorIndex % PALETTE.length]}"/>` +
  `<text x="48" y="58" font-family="sans-serif" font-size="32" fill="#fff" text-anchor="middle">${initialsOf(name)}</text></svg>`

export const registerAvatarRoutes = (routes: RouteTable, state: StandInState): void => {
  routes.add('GET', '/avatars/:file', {
    auth: 'none',
    rateLimited: false,
    handler: (ctx) => {
      const actorId = ctx.params.file.replace(/\.svg$/, '')
      const agents = [...state.portal.agents.values()]
      const index = agents.findIndex((agent) => agent.actorId === actorId)
      if (index < 0) throw notFound(`No avatar for ${actorId}.`)
      return {
        status: 200,
        bytes: Buffer.from(avatarSvg(agents[index].name, index)),
        headers: { 'Content-Type': 'image/svg+xml' },
      }
    },
  })
}
