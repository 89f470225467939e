// Headless Chromium for the browser tests: Debian's /usr/bin/chromium when the machine has it, else
// the Chromium that @sparticuz/chromium ships inside its npm package (with the libraries it needs
// beside libc), so `npm ci && npm test` needs no system package.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'

export const SYSTEM_CHROMIUM = '/usr/bin/chromium'

// Without the background-networking flags, Chromium's connections are refused by a closed network.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export type ChromiumSource = {
  kind: 'system' | 'npm'
  executablePath: string
  args: string[]
  env?: Record<string, string>
}

const require = createRequire(__filename)

// The package unpacks its browser into the temp folder and reuses whatever `chromium` it finds
// there, so a copy left by another version (or half unpacked) breaks the launch. Each version gets
// a folder of its own, and a folder without the completion mark is unpacked again.
const unpackNpmChromium = async (): Promise<ChromiumSource> => {
  // The package exports no package.json: it is found beside its entry point.
  const manifestOf = (dir: string) =>
    existsSync(join(dir, 'package.json'))
      ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string })
      : {}
  let packageDir = dirname(require.resolve('@sparticuz/chromium'))
  while (manifestOf(packageDir).name !== '@sparticuz/chromium' && dirname(packageDir) !== packageDir) {
    packageDir = dirname(packageDir)
  }
  const { version } = manifestOf(packageDir)
  if (!version) throw new Error('@sparticuz/chromium is not installed: run npm ci')
  const folder = join(tmpdir(), `hitl-chromium-${version}`)
  const mark = join(folder, '.unpacked')
  if (existsSync(folder) && !existsSync(mark)) rmSync(folder, { recursive: true, force: true })
  mkdirSync(folder, { recursive: true })

  // The package reads the temp folder and its environment when loaded and when unpacking; both are
  // pointed at the version's folder for that time only. Its Amazon Linux libraries (NSS, expat, …)
  // are what it needs beyond libc, so they are unpacked too.
  const keys = ['TMPDIR', 'AWS_LAMBDA_JS_RUNTIME', 'LD_LIBRARY_PATH', 'FONTCONFIG_PATH', 'HOME'] as const
  const saved = Object.fromEntries(keys.map((key) => [key, process.env[key]]))
  process.env.TMPDIR = folder
  process.env.AWS_LAMBDA_JS_RUNTIME = 'nodejs20.x'
  let executablePath: string
  let libraries: string
  try {
    const { default: packaged } = (await import('@sparticuz/chromium')) as {
      default: { executablePath(): Promise<string>; args: string[] }
    }
    executablePath = await packaged.executablePath()
    libraries = process.env.LD_LIBRARY_PATH ?? join(folder, 'al2023', 'lib')
  } finally {
    for (const key of keys) {
      if (saved[key] === undefined) delete process.env[key]
      else process.env[key] = saved[key]
    }
  }
  // Its fonts.conf names /tmp/fonts; this one names the version's folder.
  const fonts = join(folder, 'fonts')
  writeFileSync(
    join(fonts, 'fonts.conf'),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${fonts}</dir><cachedir>${join(folder, 'fonts-cache')}</cachedir></fontconfig>\n`
  )
  writeFileSync(mark, version)
  return {
    kind: 'npm',
    executablePath,
    args: [...FLAGS, '--no-zygote'],
    env: {
      LD_LIBRARY_PATH: [libraries, saved.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_PATH: fonts,
      HOME: saved.HOME ?? dirname(folder),
    },
  }
}

export const resolveChromium = async (options: { systemPath?: string } = {}): Promise<ChromiumSource> => {
  // HITL_SYSTEM_CHROMIUM=none runs the browser tests as on a machine without Debian's Chromium.
  const systemPath = options.systemPath ?? process.env.HITL_SYSTEM_CHROMIUM ?? SYSTEM_CHROMIUM
  if (existsSync(systemPath)) return { kind: 'system', executablePath: systemPath, args: FLAGS }
  return unpackNpmChromium()
}

export const launchChromium = async (options: { systemPath?: string } = {}): Promise<Browser> => {
  const source = await resolveChromium(options)
  return chromium.launch({
    executablePath: source.executablePath,
    headless: true,
    args: source.args,
    env: source.env ? { ...(process.env as Record<string, string>), ...source.env } : undefined,
  })
}
