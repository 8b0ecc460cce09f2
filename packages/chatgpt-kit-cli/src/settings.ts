/**
 * Which backend to talk to and with which credentials, from (highest first) the command line,
 * the environment, a `.env` file in the current directory, and the config file `chatgpt login`
 * writes. Each value is taken from the first source that has it, and where it came from is kept
 * so `chatgpt auth` can say so (never the value itself).
 *
 * Tokens never go to a backend named by a less trusted source than theirs. The command line and
 * the environment are the user's own; the config file holds tokens per backend, so they only go
 * where they were stored for; but `./.env` is whatever file lies in the directory the command
 * runs in, a cloned repository's for one. So a backend URL from `./.env` is used only with tokens
 * from that same file (or stored for that very URL): with a token from the command line or the
 * environment, the command refuses before anything is sent (see {@link checkTokensMayGo}).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import * as util from 'node:util'

import { readConfig } from './config-file.js'
import { UsageError, withoutUserinfo } from './cli-error.js'

/** The backend `--base-url` defaults to: ChatGPT's web app. */
export const DEFAULT_BASE_URL = 'https://chat.openai.com'

export type Credentials = {
  sessionToken?: string
  clearanceToken?: string
  userAgent?: string
  accessToken?: string
}

/** Where a setting came from, as shown by `chatgpt auth` (`prompt`: typed at `chatgpt login`). */
export type Source = 'flag' | 'environment' | '.env' | 'config file' | 'prompt' | 'default'

export type Settings = {
  /** The backend's root URL, no trailing slash. */
  baseUrl: string
  credentials: Credentials
  sources: Partial<Record<keyof Credentials | 'baseUrl', Source>>
  /** Problems worth a warning (e.g. a config file others can read). */
  warnings: string[]
  /** The `.env` file read (whether or not there is one): `./.env` of the working directory. */
  dotenvPath: string
}

/** The flags that carry settings. */
export type SettingFlags = {
  baseUrl?: string
  sessionToken?: string
  clearanceToken?: string
  userAgent?: string
  accessToken?: string
}

/** Environment variable of each setting (the same names in `.env`). */
const VARIABLES = {
  baseUrl: 'CHATGPT_BASE_URL',
  sessionToken: 'SESSION_TOKEN',
  clearanceToken: 'CLEARANCE_TOKEN',
  userAgent: 'USER_AGENT',
  accessToken: 'ACCESS_TOKEN'
} as const

type Key = keyof typeof VARIABLES

/**
 * Resolves the settings.
 *
 * @param options.useConfig - `false` for `chatgpt login`, which checks what it is given, not
 *   what it stored before.
 */
export function resolveSettings(options: {
  flags: SettingFlags
  env: NodeJS.ProcessEnv
  cwd: string
  configPath: string
  useConfig?: boolean
}): Settings {
  const { flags, env } = options
  const dotenvPath = join(options.cwd, '.env')
  const dotenv = readDotenv(options.cwd)
  const sources: Settings['sources'] = {}
  const warnings: string[] = []

  const pick = (key: Key, config?: Record<string, string | undefined>): string | undefined => {
    const candidates: [Source, string | undefined][] = [
      ['flag', flags[key]],
      ['environment', env[VARIABLES[key]]],
      ['.env', dotenv[VARIABLES[key]]],
      ['config file', config?.[key]]
    ]
    for (const [source, value] of candidates) {
      if (value !== undefined && value !== '') {
        sources[key] = source
        return value
      }
    }
    return undefined
  }

  const picked = pick('baseUrl')
  const baseUrl = normalizeBaseUrl(picked ?? DEFAULT_BASE_URL)
  if (!picked) sources.baseUrl = 'default'

  let stored: Credentials | undefined
  if (options.useConfig !== false) {
    const config = readConfig(options.configPath)
    stored = config.file.backends[baseUrl]
    if (stored && config.tooOpen) {
      warnings.push(`${options.configPath} can be read by other users; run: chmod 600 ${options.configPath}`)
    }
  }
  const credentials: Credentials = {
    sessionToken: pick('sessionToken', stored),
    clearanceToken: pick('clearanceToken', stored),
    userAgent: pick('userAgent', stored),
    accessToken: pick('accessToken')
  }
  const settings = { baseUrl, credentials, sources, warnings, dotenvPath }
  checkTokensMayGo(settings)
  return settings
}

/** The tokens, by the name the refusal uses. */
const TOKENS = { sessionToken: 'session token', clearanceToken: 'clearance token', accessToken: 'access token' } as const

/**
 * Refuses (exit 2, nothing sent) when the backend comes from `./.env` and a token from elsewhere
 * than that file or the config file (whose tokens are stored for that URL). Refusing is safer
 * than ignoring the URL with a warning: the tokens would then go to the default backend, which
 * is not what the user meant either when their `.env` names a backend of their own, and a
 * warning scrolls by.
 *
 * @throws UsageError naming the file, the token and both ways out
 */
export function checkTokensMayGo(settings: Pick<Settings, 'baseUrl' | 'credentials' | 'sources' | 'dotenvPath'>): void {
  // Naming the default backend redirects nothing: without the file the tokens would go there too.
  if (settings.sources.baseUrl !== '.env' || settings.baseUrl === DEFAULT_BASE_URL) return
  for (const key of Object.keys(TOKENS) as (keyof typeof TOKENS)[]) {
    const source = settings.sources[key]
    if (!settings.credentials[key] || source === '.env' || source === 'config file') continue
    const from = source === 'flag' ? 'the command line' : source === 'prompt' ? 'the prompt' : 'the environment'
    const file = settings.dotenvPath
    const backend = withoutUserinfo(settings.baseUrl)
    throw new UsageError(
      `${file} sets the backend to ${backend} (CHATGPT_BASE_URL), but the ${TOKENS[key]} comes from ${from}, ` +
        `and a .env file in the working directory may only send its own tokens: nothing was sent. ` +
        `To use that backend anyway, pass --base-url ${backend}; otherwise remove CHATGPT_BASE_URL from ${file}`
    )
  }
}

/** `http(s)://host[:port][/path]` without a trailing slash; anything else is a usage error. */
export function normalizeBaseUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--base-url must be an http(s) URL, like ${DEFAULT_BASE_URL}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--base-url must be an http(s) URL, like ${DEFAULT_BASE_URL}`)
  }
  url.search = ''
  url.hash = ''
  return url.href.replace(/\/+$/, '')
}

/** The `KEY=value` pairs of `./.env`, if there is one; the process environment is not touched. */
function readDotenv(cwd: string): Record<string, string | undefined> {
  const path = join(cwd, '.env')
  if (!existsSync(path) || !statSync(path).isFile()) return {}
  const text = readFileSync(path, 'utf8')
  // util.parseEnv is Node ≥ 20.12; the fallback reads plain KEY=value lines.
  const parseEnv = (util as { parseEnv?: (content: string) => Record<string, string> }).parseEnv
  if (parseEnv) return parseEnv(text)
  const values: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line)
    if (!match) continue
    values[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2')
  }
  return values
}

/**
 * Every token the command could have been given — flags, environment, `.env`, the config file
 * for any backend — so that an error line can be scrubbed of all of them.
 */
export function allKnownSecrets(options: {
  env: NodeJS.ProcessEnv
  cwd: string
  configPath: string
  argv: string[]
}): string[] {
  const secretKeys = ['sessionToken', 'clearanceToken', 'accessToken'] as const
  const values: (string | undefined)[] = []
  const dotenv = readDotenv(options.cwd)
  for (const key of secretKeys) values.push(options.env[VARIABLES[key]], dotenv[VARIABLES[key]])
  for (const stored of Object.values(readConfig(options.configPath).file.backends)) {
    values.push(stored.sessionToken, stored.clearanceToken)
  }
  for (const flag of ['--session-token', '--clearance-token', '--access-token']) values.push(...flagValues(options.argv, flag))
  return values.filter((value): value is string => typeof value === 'string' && value !== '')
}

/**
 * The backend a run was pointed at, as far as the raw command line, the environment and `.env`
 * tell (for error lines, when the settings themselves could not be had); `undefined` if unusable.
 */
export function knownBaseUrl(options: { env: NodeJS.ProcessEnv; cwd: string; argv: string[] }): string | undefined {
  const given = [flagValues(options.argv, '--base-url').at(-1), options.env[VARIABLES.baseUrl], readDotenv(options.cwd)[VARIABLES.baseUrl]]
  try {
    return normalizeBaseUrl(given.find((value) => value !== undefined && value !== '') ?? DEFAULT_BASE_URL)
  } catch {
    return undefined
  }
}

/** The values of a flag in `argv` (`--flag value` and `--flag=value`). */
function flagValues(argv: string[], flag: string): (string | undefined)[] {
  return argv.flatMap((arg, i) => (arg === flag ? [argv[i + 1]] : arg.startsWith(`${flag}=`) ? [arg.slice(flag.length + 1)] : []))
}
