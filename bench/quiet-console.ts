// The integration logs through console (the SDK's logger); during a benchmark that would bury the
// report. Info and debug lines are dropped, warnings and errors are counted and kept for the summary.

export type CapturedLogs = { warnings: Map<string, number>; errors: Map<string, number> }

const normalise = (args: unknown[]): string =>
  args
    .map((arg) =>
      arg instanceof Error ? `${arg.name}: ${arg.message}` : typeof arg === 'string' ? arg : JSON.stringify(arg)
    )
    .join(' ')
    .replace(/\b(conv|msg|user|evt)_[0-9A-Z]{16,}\b/g, '$1_…')
    .replace(/\b\d{4,}\b/g, 'N')
    .slice(0, 240)

const count = (into: Map<string, number>, line: string): void => {
  into.set(line, (into.get(line) ?? 0) + 1)
}

export const quietConsole = (): CapturedLogs => {
  const captured: CapturedLogs = { warnings: new Map(), errors: new Map() }
  const ignore = (): void => undefined
  console.log = ignore
  console.info = ignore
  console.debug = ignore
  console.warn = (...args: unknown[]) => count(captured.warnings, normalise(args))
  console.error = (...args: unknown[]) => count(captured.errors, normalise(args))
  return captured
}

// The bench's own output bypasses the silenced console.
export const print = (line = ''): void => {
  process.stdout.write(`${line}\n`)
}
