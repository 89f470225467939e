// Ctrl-C (SIGINT) or SIGTERM closes a long-running testbed program cleanly, once.
import { closeServedIntegration } from './world'

export const stopOnSignals = (name: string, close: () => Promise<unknown>): void => {
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping the ${name}…`)
    close()
      .then(closeServedIntegration)
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(`The ${name} did not stop cleanly:`, error)
        process.exit(1)
      })
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}
