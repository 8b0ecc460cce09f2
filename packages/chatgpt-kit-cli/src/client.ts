/**
 * Building the client from the settings, and the options every command shares.
 */
import { ChatGPTAPI } from 'chatgpt-kit'
import { CliError, UsageError } from './cli-error.js'
import type { Context } from './context.js'
import { debugLogger } from './debug-line.js'
import { configFile } from './paths.js'
import { resolveSettings, type SettingFlags, type Settings } from './settings.js'

/** The options on the command line that every command may use. */
export type GlobalOptions = SettingFlags & {
  model?: string
  timeout?: string
  json?: boolean
  plain?: boolean
  stream?: boolean
  continue?: boolean
  name?: string
  debug?: boolean
}

/** The settings of this run, warning about anything odd on the way. */
export function loadSettings(ctx: Context, options: GlobalOptions, useConfig = true): Settings {
  const settings = resolveSettings({
    flags: options,
    env: ctx.env,
    cwd: ctx.cwd,
    configPath: configFile(ctx.env),
    useConfig
  })
  for (const warning of settings.warnings) ctx.warn(warning)
  return settings
}

/** The tokens of this run, to keep out of anything printed. */
export function secretsOf(settings: Settings | undefined): (string | undefined)[] {
  const c = settings?.credentials
  return c ? [c.sessionToken, c.clearanceToken, c.accessToken] : []
}

/**
 * A client for the settings' backend: signed in with the session token, or, without one, with
 * the access token alone (`--access-token` / `ACCESS_TOKEN`), which is used until it expires.
 *
 * @param options.withAccessToken - `false` to ignore `ACCESS_TOKEN`, so that the session itself
 *   is checked (`login`, `auth`).
 */
export function createApi(
  ctx: Context,
  settings: Settings,
  options: { debug?: boolean; withAccessToken?: boolean } = {}
): ChatGPTAPI {
  const { sessionToken, clearanceToken, userAgent } = settings.credentials
  const accessToken = options.withAccessToken === false ? undefined : settings.credentials.accessToken
  if (!sessionToken && !accessToken) {
    const orAccessToken = options.withAccessToken === false ? '' : ' (or an access token alone: --access-token or ACCESS_TOKEN)'
    throw new CliError(
      `not signed in to ${settings.baseUrl}: run \`chatgpt login\`, set SESSION_TOKEN (or put it in .env), or pass --session-token${orAccessToken}`
    )
  }
  const common = {
    clearanceToken,
    userAgent,
    apiBaseUrl: `${settings.baseUrl}/api`,
    backendApiBaseUrl: `${settings.baseUrl}/backend-api`,
    debug: options.debug ? debugLogger(ctx) : undefined
  }
  try {
    // With a session token too, the access token is only its first cache entry, as before.
    return sessionToken
      ? new ChatGPTAPI({ sessionToken, accessToken, ...common })
      : ChatGPTAPI.fromAccessToken({ accessToken: accessToken!, ...common })
  } catch (error) {
    // The client refuses unusable tokens (a newline, a `;`) before sending anything.
    throw new UsageError((error as Error).message)
  }
}

/** `-t 30`, `-t 30s`, `-t 2m`, `-t 500ms` → milliseconds; `0` means none. */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim())
  if (!match) throw new UsageError(`-t/--timeout takes seconds (like 30, 30s, 2m or 500ms), not '${value}'`)
  const ms = Number(match[1]) * (match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000)
  return ms > 0 ? Math.round(ms) : undefined
}

/** A `-n` name: one line, not empty, at most 100 characters. */
export function checkName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined
  if (name.trim() === '' || name.length > 100 || /[\x00-\x1f\x7f]/.test(name)) {
    throw new UsageError('-n/--name takes a name of 1 to 100 characters on one line')
  }
  return name
}
