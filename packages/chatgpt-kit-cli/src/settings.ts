/**
 * Which backend to talk to and with which credentials, from (highest first) the command line,
 * the environment, a `.env` file in the current directory, and the config file `chatgpt login`
 * writes. Each value is taken from the first source that has it, and where it came from is kept
 * so `chatgpt auth` can say so (never the value itself).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import * as util from 'node:util'

import { readConfig } from './config-file.js'
import { UsageError } from './cli-error.js'

/** The backend `--base-url` defaults to: ChatGPT's web app. */
export const DEFAULT_BASE_URL = 'https://chat.openai.com'

export type Credentials = {
  sessionToken?: string
  clearanceToken?: string
  userAgent?: string
  accessToken?: string
}

/** Where a setting came from, as shown by `chatgpt auth`. */
export type Source = 'flag' | 'environment' | '.env' | 'config file' | 'default'

export type Settings = {
  /** The backend's root URL, no trailing slash. */
  baseUrl: string
  credentials: Credentials
  sources: Partial<Record<keyof Credentials | 'baseUrl', Source>>
  /** Problems worth a warning (e.g. a config file others can read). */
  warnings: string[]
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
  return { baseUrl, credentials, sources, warnings }
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
  const { argv } = options
  for (const flag of ['--session-token', '--clearance-token', '--access-token']) {
    argv.forEach((arg, i) => {
      if (arg === flag) values.push(argv[i + 1])
      else if (arg.startsWith(`${flag}=`)) values.push(arg.slice(flag.length + 1))
    })
  }
  return values.filter((value): value is string => typeof value === 'string' && value !== '')
}
