// Options of the load run, from `--name value` / `--name=value` flags or LOAD_* environment variables.

export type LoadOptions = {
  sessions: number
  // Total messages across both directions (half from customers, half from agents).
  messages: number
  // Pause between two sends of one session, picked at random in [gapMinMs, gapMaxMs].
  gapMinMs: number
  gapMaxMs: number
  // How many escalations run at once while the sessions open.
  escalationConcurrency: number
  // Probability that a webhook delivery is sent twice.
  duplicateRate: number
  // Every reorderEveryMs, the next reorderBurst deliveries are held and released shuffled.
  reorderEveryMs: number
  reorderBurst: number
  // Injected HubSpot API failures (429 with or without Retry-After, 502/503/504) per second.
  apiFaultsPerSecond: number
  // Share of the injected API faults that are 429s (the rest are 5xx).
  rateLimitShare: number
  // Integration processes behind one URL (each request to the next), as Botpress Cloud runs it.
  processes: number
  // Seeds every random choice of the run (faults, duplicates, reordering, pacing); 0 picks one.
  seed: number
  out: string
}

export const DEFAULTS: LoadOptions = {
  sessions: 40,
  messages: 1200,
  gapMinMs: 200,
  gapMaxMs: 600,
  escalationConcurrency: 8,
  duplicateRate: 0.1,
  reorderEveryMs: 1000,
  reorderBurst: 6,
  apiFaultsPerSecond: 6,
  rateLimitShare: 0.5,
  processes: 1,
  seed: 0,
  out: 'bench/out/load.json',
}

const HELP = `npm run load -- [--sessions 40] [--messages 1200] [--gap-min-ms 200] [--gap-max-ms 600]
  [--escalation-concurrency 8] [--duplicate-rate 0.1] [--reorder-every-ms 1000] [--reorder-burst 6]
  [--api-faults-per-second 6] [--rate-limit-share 0.5] [--processes 1] [--seed 0] [--out bench/out/load.json]
Each flag can also be set as an environment variable: LOAD_SESSIONS, LOAD_MESSAGES, LOAD_DUPLICATE_RATE, ...`

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
const envName = (name: string) => `LOAD_${kebab(name).replace(/-/g, '_').toUpperCase()}`

export const parseOptions = (argv: string[], env: NodeJS.ProcessEnv): LoadOptions => {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP)
    process.exit(0)
  }
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${HELP}`)
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined]
    const value = inline ?? argv[++i]
    if (value === undefined) throw new Error(`--${name} needs a value\n${HELP}`)
    flags.set(name, value)
  }
  const options: LoadOptions = { ...DEFAULTS }
  for (const key of Object.keys(DEFAULTS) as (keyof LoadOptions)[]) {
    const raw = flags.get(kebab(key)) ?? env[envName(key)]
    flags.delete(kebab(key))
    if (raw === undefined) continue
    if (key === 'out') {
      options.out = raw
      continue
    }
    const value = Number(raw)
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`--${kebab(key)} must be a non-negative number, got ${raw}`)
    }
    options[key] = value as never
  }
  if (flags.size > 0) throw new Error(`unknown flag(s): ${[...flags.keys()].map((f) => `--${f}`).join(', ')}\n${HELP}`)
  if (options.sessions < 1 || !Number.isInteger(options.sessions)) {
    throw new Error('--sessions must be a positive integer')
  }
  if (options.gapMaxMs < options.gapMinMs) throw new Error('--gap-max-ms must be at least --gap-min-ms')
  if (options.duplicateRate > 1 || options.rateLimitShare > 1) throw new Error('rates are between 0 and 1')
  if (options.processes < 1 || !Number.isInteger(options.processes)) {
    throw new Error('--processes must be a positive integer')
  }
  return options
}
