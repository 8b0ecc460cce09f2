/**
 * `chatgpt login`: checks the tokens, then stores them (mode 0600) for the backend;
 * `chatgpt logout` forgets them.
 */
import { UsageError } from '../cli-error.js'
import { createApi, loadSettings, type GlobalOptions } from '../client.js'
import { storeCredentials } from '../config-file.js'
import type { Context } from '../context.js'
import { configFile } from '../paths.js'
import { readSecret } from '../read-secret.js'
import { checkTokensMayGo, type Settings } from '../settings.js'

export async function login(ctx: Context, options: GlobalOptions): Promise<void> {
  // What is given now (flags, environment, .env) is checked, not what was stored before.
  const settings = loadSettings(ctx, options, false)
  await askForMissing(ctx, settings)
  const api = createApi(ctx, settings, { debug: options.debug, withAccessToken: false })
  await api.ensureAuth()

  const { sessionToken, clearanceToken, userAgent } = settings.credentials
  const path = configFile(ctx.env)
  await storeCredentials(path, settings.baseUrl, { sessionToken, clearanceToken, userAgent })
  const who = describeUser(api.user)
  ctx.stdout.write(`Signed in${who ? ` as ${who}` : ''} on ${settings.baseUrl}.\nCredentials saved to ${path} (readable only by you).\n`)
}

export async function logout(ctx: Context, options: GlobalOptions): Promise<void> {
  const settings = loadSettings(ctx, options, false)
  const path = configFile(ctx.env)
  await storeCredentials(path, settings.baseUrl, undefined)
  ctx.stdout.write(`Forgot the credentials stored for ${settings.baseUrl}.\n`)
}

/** On a terminal, asks for the tokens not given; elsewhere a missing session token is an error. */
async function askForMissing(ctx: Context, settings: Settings): Promise<void> {
  const credentials = settings.credentials
  if (credentials.sessionToken) return
  if (!ctx.stdin.isTTY || !ctx.stderr.isTTY) {
    throw new UsageError('no session token given: pass --session-token, or set SESSION_TOKEN (and CLEARANCE_TOKEN, USER_AGENT)')
  }
  // Typed tokens are the user's own: refused to a backend named by ./.env before they are typed.
  checkTokensMayGo({ ...settings, credentials: { sessionToken: 'typed' }, sources: { ...settings.sources, sessionToken: 'prompt' } })
  ctx.stderr.write(
    'Copy these from a browser signed in to ChatGPT (developer tools → Application → Cookies).\n'
  )
  credentials.sessionToken = (await readSecret(ctx, '__Secure-next-auth.session-token: ')) || undefined
  if (!credentials.sessionToken) throw new UsageError('no session token given')
  credentials.clearanceToken ||= (await readSecret(ctx, 'cf_clearance (Enter if none): ')) || undefined
  credentials.userAgent ||= (await readSecret(ctx, "the browser's User-Agent (Enter for the default): ", true)) || undefined
}

/** `Name <email>`, or what there is of it. */
export function describeUser(user: { name?: string; email?: string } | null | undefined): string {
  if (!user) return ''
  return [user.name, user.email ? `<${user.email}>` : ''].filter(Boolean).join(' ')
}
