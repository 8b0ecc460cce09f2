/**
 * The command's failures and their exit codes, and how any error becomes the one line printed on
 * stderr: what went wrong and what to do about it, never a token.
 */
import { ChatGPTError } from 'chatgpt-kit'
import { Secrets } from 'chatgpt-kit/internal'
import { LockTimeoutError } from './file-lock.js'

/** Exit codes: 0 ok, 1 failure, 2 usage, 130 interrupted (128 + SIGINT). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const

/** A failure whose message is already the line to print. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/** The command line was wrong (exit 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage)
    this.name = 'UsageError'
  }
}

/** The user pressed Ctrl-C (exit 130); nothing more needs saying. */
export class InterruptedError extends CliError {
  constructor() {
    super('interrupted', EXIT.interrupted)
    this.name = 'InterruptedError'
  }
}

const LOGIN_HINT = 'run `chatgpt login`, or set SESSION_TOKEN'

/** What the line may mention besides the error: the backend in use, when known. */
export type ErrorContext = { baseUrl?: string }

/** The line to print for an error, and the exit code. `secrets` are removed from the line. */
export function describeError(
  error: unknown,
  secrets: (string | undefined)[] = [],
  context: ErrorContext = {}
): { line: string; exitCode: number } {
  const { line, exitCode } = explain(error, context)
  return { line: redact(oneLine(line), secrets), exitCode }
}

/**
 * A 404 other than an unknown conversation: the backend has no such endpoint, which mostly means
 * `--base-url` is not the site's root. Judged by the status, not by the library's wording.
 */
export function isMissingEndpoint(error: unknown): boolean {
  return (
    error instanceof ChatGPTError &&
    error.code !== 'conversation_not_found' &&
    (error.code === 'not_found' || error.statusCode === 404)
  )
}

/** What to check when the backend is not where the command looks. */
function baseUrlHint(context: ErrorContext): string {
  const url = context.baseUrl ? `the backend URL (${withoutUserinfo(context.baseUrl)})` : 'the backend URL'
  return `check ${url}, set by --base-url or CHATGPT_BASE_URL: it must be the site's root, like https://chat.openai.com`
}

/** A URL without any `user:password@`, which is no business of an error line. */
export function withoutUserinfo(value: string): string {
  try {
    const url = new URL(value)
    url.username = ''
    url.password = ''
    return url.href.replace(/\/$/, '')
  } catch {
    return value
  }
}

function explain(error: unknown, context: ErrorContext): { line: string; exitCode: number } {
  if (error instanceof CliError) return { line: error.message, exitCode: error.exitCode }
  if (error instanceof LockTimeoutError) {
    return {
      line: `${error.path} stayed locked; if no other chatgpt command is running, delete that file`,
      exitCode: EXIT.failure
    }
  }
  if (!(error instanceof ChatGPTError)) {
    const message = error instanceof Error ? error.message : String(error)
    return { line: message, exitCode: EXIT.failure }
  }
  const fail = (line: string) => ({ line, exitCode: EXIT.failure })
  if (isMissingEndpoint(error)) return fail(`${error.message}: there is no such endpoint; ${baseUrlHint(context)}`)
  switch (error.code) {
    case 'unauthorized':
      return fail(`the session token was refused: sign in again in a browser, copy the __Secure-next-auth.session-token cookie, and ${LOGIN_HINT}`)
    case 'session_expired':
      return fail(`the session has expired: sign in again in a browser, copy the new __Secure-next-auth.session-token cookie, and ${LOGIN_HINT}`)
    case 'cloudflare_challenge':
      return fail(
        'Cloudflare challenge: the clearance token is missing or stale (it lasts 1-2 hours) or was issued to another IP or User-Agent. ' +
          "Copy a fresh cf_clearance cookie and your browser's User-Agent from the same machine, then run `chatgpt login` (or set CLEARANCE_TOKEN and USER_AGENT)"
      )
    case 'bot_detected':
      return fail(
        `${error.message}: ChatGPT's bot checks refused this device or IP (not Cloudflare). Retrying at once will not help; ` +
          'wait, or use the network and browser your session comes from'
      )
    case 'token_expired':
      return fail(`the access token was refused: ${error.message}; try again, or ${LOGIN_HINT}`)
    case 'rate_limited': {
      const wait = error.retryAfterMs ? ` (the server asks to wait ${Math.ceil(error.retryAfterMs / 1000)} s)` : ''
      return fail(`${error.message}${wait}; try again later`)
    }
    case 'conversation_not_found':
      return fail('that conversation does not exist on the server (deleted?); see `chatgpt conversations ls`')
    case 'timeout':
      return fail(`${error.message}; give it longer with -t SECONDS`)
    case 'network':
      return fail(`${error.message}; check your connection (and --base-url / CHATGPT_BASE_URL)`)
    case 'message_too_long':
      return fail(`${error.message}; send a shorter message`)
    case 'queue_full':
      return fail(error.message)
    default:
      return fail(error.message)
  }
}

/** Error lines are one line: a server message could hold newlines. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}

/** Replaces every secret in `text`, by the library's one rule (see `internal/secrets.ts`). */
export function redact(text: string, secrets: (string | undefined)[]): string {
  const known = new Secrets()
  for (const secret of secrets) known.add(secret)
  return known.redact(text)
}
