// `npm start`: the sandbox on http://127.0.0.1:${SANDBOX_PORT:-3000} until Ctrl-C.
// `npm start -- --one-click`: the same, on the one-click configuration, not connected yet.
import { stopOnSignals } from '../signals'
import { startSandbox } from './server'

const portFromEnv = (): number => {
  const raw = process.env.SANDBOX_PORT ?? '3000'
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`SANDBOX_PORT must be a port number (0 picks a free one), got "${raw}"`)
  }
  return port
}

const ONE_CLICK_FLAG = '--one-click'

const oneClickFromArgs = (args: string[]): boolean => {
  const unknown = args.filter((arg) => arg !== ONE_CLICK_FLAG)
  if (unknown.length) throw new Error(`unknown option ${unknown.join(' ')} (the sandbox takes ${ONE_CLICK_FLAG} only)`)
  return args.includes(ONE_CLICK_FLAG)
}

const main = async (): Promise<void> => {
  const oneClick = oneClickFromArgs(process.argv.slice(2))
  // The integration's debug lines (a lookup answered 404 on purpose, …) would read like errors here.
  if (!process.env.SANDBOX_DEBUG) console.debug = () => undefined
  // Each settings change saves the configuration, and register logs again what the project files
  // must hold (a long line that never changes here): a long line is printed once.
  const printedLong = new Set<string>()
  for (const level of ['log', 'info', 'warn'] as const) {
    const print = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      const line = args.map(String).join(' ')
      if (line.length > 200) {
        if (printedLong.has(line)) return
        printedLong.add(line)
      }
      print(...args)
    }
  }
  const sandbox = await startSandbox({
    port: portFromEnv(),
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    oneClick,
  })
  const { hs, bp, integrationUrl } = sandbox.world
  console.log(`\nHubSpot Inbox HITL sandbox: ${sandbox.url}\n`)
  console.log(`  HubSpot stand-in   ${hs.url}  (control API ${hs.url}/_testbed)`)
  console.log(`  Botpress stand-in  ${bp.url}`)
  console.log(`  Integration        ${integrationUrl}`)
  if (oneClick) {
    console.log(
      '\nOne-click mode: press "Connect HubSpot" at the top of the page, approve, and pick the inbox on the page that opens.'
    )
  }
  console.log('\nChat as the customer on the left, answer as the agent on the right. Ctrl-C to stop.\n')

  stopOnSignals('sandbox', () => sandbox.close())
}

main().catch((error: unknown) => {
  if ((error as { code?: string }).code === 'EADDRINUSE') {
    console.error(
      `Port ${process.env.SANDBOX_PORT ?? '3000'} is in use: start the sandbox on another one with SANDBOX_PORT, e.g. SANDBOX_PORT=3001 npm start (0 picks a free port).`
    )
  } else {
    console.error('The sandbox could not start:', error instanceof Error ? error.message : error)
  }
  process.exit(1)
})
