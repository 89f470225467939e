// Child processes in tests: a free port to give them, and a clean stop.
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

export const stopProcess = async (
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM'
): Promise<void> => {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}
