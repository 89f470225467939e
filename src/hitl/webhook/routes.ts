// Everything that reaches the integration's webhook URL, routed: the connect pages (GET) and
// HubSpot's webhooks (POST), verified and parsed (verify.ts), then received (receive.ts).
// Responses mean something: 401 bad signature, 400 malformed body, 200 handled, recorded for
// later, or not ours; 503 asks HubSpot to deliver again (answers.ts).
import type { Response } from '@botpress/sdk'
import * as env from '../../env'
import type { IntegrationProps } from '../../types'
import { finishConnection, homePage, startConnection, WHERE_THE_LINK_IS } from '../connect'
import { budgetFor, createDeps, readSetup, type Deps } from '../context'
import { finishOneClick, pickInbox, startOneClick } from '../one-click'
import { json, page } from '../pages'
import { projectAsJson, projectPage } from '../project-page'
import { refusalAnswer, WebhookRefusal } from './answers'
import { receive } from './receive'
import { headerOf, normalisePath, verifyAndParse, type WebhookRequest } from './verify'

type Route = (deps: Deps, req: WebhookRequest) => Response | Promise<Response>

const webhookUrlPage: Route = () =>
  page(200, {
    title: 'HubSpot Inbox HITL',
    tone: 'info',
    lines: [
      "This is the integration's webhook URL. To connect HubSpot, press Connect in the integration's page in Botpress.",
    ],
  })

// The GET pages by path, per mode; any other GET of one-click is the page that says what the URL is.
const pages: Record<Deps['mode'], { byPath: Record<string, Route>; otherwise?: Route }> = {
  'one-click': {
    byPath: {
      '/oauth/start': (deps, req) => startOneClick(deps, req.query),
      '/oauth': (deps, req) => finishOneClick(deps, req.query),
      '/oauth/inbox': (deps, req) => pickInbox(deps, req.query),
    },
    otherwise: webhookUrlPage,
  },
  manual: {
    byPath: {
      '/oauth/start': (deps, req) => startConnection(deps, req.query, headerOf(req.headers, 'cookie')),
      '/oauth/callback': (deps, req) => finishConnection(deps, req.query, headerOf(req.headers, 'cookie')),
      '/': (deps, req) => homePage(deps, req.query),
    },
  },
}

// The one POST: a HubSpot webhook (a channel event, an app batch, or a sibling's news).
const receiveHubSpotWebhook: Route = (deps, req) => {
  try {
    const verified = verifyAndParse(
      {
        clientSecret: deps.config.clientSecret,
        webhookUrl: deps.webhookUrl,
        oneClick: deps.mode === 'one-click',
        warn: (message) => deps.logger.warn(message),
      },
      req
    )
    return receive(deps, verified)
  } catch (error) {
    if (error instanceof WebhookRefusal) return refusalAnswer(error)
    throw error
  }
}

const routeOf = (deps: Deps, method: string, path: string): Route | undefined => {
  if (method === 'POST') return receiveHubSpotWebhook
  if (method !== 'GET') return undefined
  const modePages = pages[deps.mode]
  return Object.hasOwn(modePages.byPath, path) ? modePages.byPath[path] : modePages.otherwise
}

// Served before the configuration is filled in: the project gives the app credentials it needs.
const projectPages: Record<string, (webhookUrl: string) => Response> = {
  '/hubspot-project': projectPage,
  '/hubspot-project.json': projectAsJson,
}

export const handleWebhook: IntegrationProps['handler'] = async (props) => {
  // HubSpot signs the URL it calls: the one register gave it, kept in the setup state.
  const setup = await readSetup(props).catch(() => undefined)
  const path = normalisePath(props.req.path)
  const method = props.req.method.toUpperCase()
  const projectRoute = method === 'GET' && Object.hasOwn(projectPages, path) ? projectPages[path] : undefined
  if (projectRoute) return projectRoute(setup?.webhookUrl || env.publicWebhookUrl(props.ctx.webhookId))
  let deps: Deps
  try {
    deps = createDeps({ ...props, webhookUrl: setup?.webhookUrl }, budgetFor(method, path))
  } catch (error) {
    props.logger.error(error instanceof Error ? error.message : 'invalid configuration')
    return page(500, {
      title: 'The integration is not configured',
      tone: 'error',
      lines: ['Fill in the configuration in Botpress and save it.', WHERE_THE_LINK_IS],
    })
  }
  const route = routeOf(deps, method, path)
  if (!route) return json(405, { error: 'method not allowed' })
  return route(deps, props.req)
}
