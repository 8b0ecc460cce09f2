/**
 * `chatgpt auth`: who is signed in, where the credentials come from, and whether they work. Never
 * the tokens themselves.
 */
import { ChatGPTError } from 'chatgpt-kit'
import { CliError, describeError } from '../cli-error.js'
import { createApi, loadSettings, secretsOf, type GlobalOptions } from '../client.js'
import type { Context } from '../context.js'
import { configFile } from '../paths.js'
import type { Settings } from '../settings.js'
import { describeUser } from './login.js'

export async function auth(ctx: Context, options: GlobalOptions): Promise<number> {
  const settings = loadSettings(ctx, options)
  const { sessionToken, clearanceToken, userAgent } = settings.credentials
  let error: unknown
  let user: { id?: string; name?: string; email?: string } | null = null
  if (sessionToken) {
    const api = createApi(ctx, settings, { debug: options.debug, withAccessToken: false })
    try {
      await api.ensureAuth()
      user = api.user
    } catch (caught) {
      error = caught
    }
  }
  // Only an answer about the tokens says they do not work: an unreachable or broken backend
  // says nothing about them.
  const judged = error instanceof ChatGPTError && VERDICTS.has(error.code)
  const problem = !sessionToken
    ? { line: 'not signed in: run `chatgpt login`, or set SESSION_TOKEN', exitCode: 1 }
    : error
      ? judged
        ? describeError(error, secretsOf(settings), { baseUrl: settings.baseUrl })
        : unchecked(error, settings)
      : undefined

  if (options.json) {
    ctx.stdout.write(
      JSON.stringify(
        {
          baseUrl: settings.baseUrl,
          signedIn: !problem,
          user: user ? { id: user.id, name: user.name, email: user.email } : null,
          sessionToken: sessionToken ? { source: settings.sources.sessionToken } : null,
          clearanceToken: clearanceToken ? { source: settings.sources.clearanceToken } : null,
          userAgent: userAgent ? { source: settings.sources.userAgent } : null,
          configFile: configFile(ctx.env),
          error: problem ? { code: error instanceof ChatGPTError ? error.code : 'not_signed_in', message: problem.line } : null
        },
        null,
        2
      ) + '\n'
    )
    return problem ? 1 : 0
  }

  const s = ctx.out
  const rows: [string, string][] = [['Backend', `${settings.baseUrl}${source(settings, 'baseUrl', ctx)}`]]
  if (!problem) rows.push(['Signed in as', describeUser(user) || '(the server did not say)'])
  const verdict = !problem ? s.green('valid') : judged ? s.red('not working') : s.yellow('not checked')
  rows.push(['Session token', sessionToken ? `${verdict}${source(settings, 'sessionToken', ctx)}` : 'not set'])
  rows.push([
    'Clearance token',
    clearanceToken ? `${problem && (error as ChatGPTError)?.code === 'cloudflare_challenge' ? s.red('refused') : problem ? 'set' : s.green('accepted')}${source(settings, 'clearanceToken', ctx)}` : 'not set'
  ])
  rows.push(['User-Agent', userAgent ? `custom${source(settings, 'userAgent', ctx)}` : 'default'])
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  ctx.stdout.write(rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}\n`).join(''))
  if (problem) {
    ctx.stderr.write(`${ctx.err.red('chatgpt:')} ${problem.line}\n`)
    return problem.exitCode
  }
  return 0
}

/** Failures that are the server's verdict on the credentials. */
const VERDICTS = new Set<string>(['unauthorized', 'session_expired', 'token_expired', 'cloudflare_challenge'])

/** The line for a failure that left the tokens unchecked: what failed, and that it is not them. */
function unchecked(error: unknown, settings: Settings): { line: string; exitCode: number } {
  const notChecked = 'the session token was not checked'
  if (error instanceof ChatGPTError && (error.code === 'network' || error.code === 'timeout')) {
    const host = new URL(settings.baseUrl).host
    const line = `could not reach the backend at ${host} (${causeOf(error)}): check your connection and the backend URL (--base-url or CHATGPT_BASE_URL); ${notChecked}`
    return describeError(new CliError(line), secretsOf(settings))
  }
  const { line, exitCode } = describeError(error, secretsOf(settings), { baseUrl: settings.baseUrl })
  return { line: `${line} (${notChecked})`, exitCode }
}

/** What made a request fail, in a word if there is one (`ECONNREFUSED`), read off the error's cause. */
function causeOf(error: ChatGPTError): string {
  if (error.code === 'timeout') return 'no answer in time'
  const original = error.originalError as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined
  for (const value of [original?.code, original?.cause?.code, original?.cause?.message, original?.message]) {
    if (typeof value === 'string' && value !== '' && value !== 'fetch failed') return value
  }
  return error.message
}

function source(settings: Settings, key: keyof Settings['sources'], ctx: Context): string {
  const from = settings.sources[key]
  if (!from) return ''
  return ctx.out.dim(` (${from === 'config file' ? configFile(ctx.env) : from})`)
}
