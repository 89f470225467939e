// Captures what the in-process integration prints (the SDK's logger writes through console).
import { format } from 'node:util'

export type Capture = { lines: string[]; stop: () => void }

// Everything written through console.* and process.stdout/stderr while the capture runs (the SDK's
// logger writes through console; the integration runs in this process).
export const captureOutput = (): Capture => {
  const lines: string[] = []
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const
  const originals = methods.map((name) => [name, console[name]] as const)
  for (const name of methods) {
    console[name] = (...args: unknown[]) => {
      lines.push(format(...args))
    }
  }
  const writes = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))
      return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest)
    }) as typeof stream.write
    return () => {
      stream.write = original
    }
  })
  return {
    lines,
    stop: () => {
      for (const [name, original] of originals) console[name] = original as never
      for (const restore of writes) restore()
    },
  }
}
