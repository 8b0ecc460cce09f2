/**
 * Every secret a client has held, and the one place that takes them out of what leaves the
 * library: error fields, `debug` lines. A hostile or buggy server may echo a token back in a
 * status text, a header or a body, and a rotated or refreshed token is no less a secret once
 * replaced, so secrets are added and never forgotten (but for the oldest access tokens, see
 * {@link MAX_ACCESS_TOKENS}).
 */
import { ChatGPTError } from '../errors.js'
import { oneLine } from './redact.js'
import { responseHead } from './response-head.js'

const REDACTED = '[redacted]'

/** Values shorter than this are not redacted: they would hide ordinary words and protect nothing. */
const MIN_SECRET_LENGTH = 8

/**
 * Access tokens refresh every `accessTokenTTL` (a minute by default), so a client running for
 * months would hold thousands; the oldest have long expired. Session and clearance tokens are
 * always kept.
 */
export const MAX_ACCESS_TOKENS = 256

/**
 * Protocol '2026' turns hand out tokens of their own (the sentinel's prepare and requirements
 * tokens, the proof of work, the turnstile answer, the conduit token): five or so per message,
 * each valid for minutes to hours. Only the newest are kept, as with access tokens.
 */
export const MAX_TURN_TOKENS = 256

/** The longest error message we hand out, cut only after redaction so no part of a secret survives. */
export const MAX_MESSAGE_CHARS = 600

export class Secrets {
  readonly #lasting = new Set<string>()
  readonly #accessTokens = new Set<string>()
  readonly #turnTokens = new Set<string>()

  /** Adds a session token, clearance token or proxy password: kept for the client's life. */
  add(secret: string | undefined): void {
    if (secret && secret.length >= MIN_SECRET_LENGTH) this.#lasting.add(secret)
  }

  /** Adds an access token; the oldest are dropped past {@link MAX_ACCESS_TOKENS}. */
  addAccessToken(token: string | undefined): void {
    addBounded(this.#accessTokens, token, MAX_ACCESS_TOKENS)
  }

  /** Adds a token of one protocol '2026' turn; the oldest are dropped past {@link MAX_TURN_TOKENS}. */
  addTurnToken(token: string | undefined): void {
    addBounded(this.#turnTokens, token, MAX_TURN_TOKENS)
  }

  /**
   * `text` with every secret replaced by `[redacted]`. Every occurrence of every secret is found
   * in the original text before anything is replaced: replacing one secret first would break up
   * another that overlaps or contains it, whose pieces no search would then recognise.
   */
  redact(text: string): string {
    const found: [start: number, end: number][] = []
    for (const set of [this.#lasting, this.#accessTokens, this.#turnTokens]) {
      for (const secret of set) {
        for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
          found.push([at, at + secret.length])
        }
      }
    }
    if (found.length === 0) return text
    found.sort((a, b) => a[0] - b[0])
    // One `[redacted]` for each run of overlapping or touching occurrences.
    let result = ''
    let runEnd = -1
    for (const [start, end] of found) {
      if (start > runEnd) result += `${text.slice(Math.max(runEnd, 0), start)}${REDACTED}`
      runEnd = Math.max(runEnd, end)
    }
    return result + text.slice(runEnd)
  }

  /**
   * Makes an error fit to leave the library: redacts its message, stack, status text, partial
   * text and the error it wraps, then cuts the message. Idempotent, so any layer may call it.
   */
  redactError(error: ChatGPTError): ChatGPTError {
    const message = this.redact(error.message)
    if (message.length > MAX_MESSAGE_CHARS) {
      error.message = `${message.slice(0, MAX_MESSAGE_CHARS)}…`
      // The stack starts with the old message; the frames below it are ours and hold no secret.
      if (error.stack) error.stack = `${error.name}: ${error.message}${framesOf(error.stack)}`
    } else {
      error.message = message
      if (error.stack) error.stack = this.redact(error.stack)
    }
    if (error.statusText !== undefined) error.statusText = oneLine(this.redact(error.statusText), 200)
    if (error.partialText !== undefined) error.partialText = this.redact(error.partialText)
    if (error.originalError) error.originalError = this.#redactCause(error.originalError)
    if (error.response) error.response = this.#redactResponse(error.response)
    return error
  }

  /**
   * The answer's status and headers with secrets redacted (it has no body and no cookies). A
   * header whose name holds a secret is left out: a name cannot be redacted in place.
   */
  #redactResponse(response: Response): Response | undefined {
    const statusText = oneLine(this.redact(response.statusText), 200)
    return responseHead(response, statusText, (name, value) =>
      this.#inHeaderName(name) ? undefined : this.redact(value)
    )
  }

  /** True when a header name holds a secret, in any case: header names come lowercased. */
  #inHeaderName(name: string): boolean {
    for (const set of [this.#lasting, this.#accessTokens, this.#turnTokens]) {
      for (const secret of set) if (name.includes(secret.toLowerCase())) return true
    }
    return false
  }

  /** A wrapped error, as a copy holding only its redacted name, message, code and stack. */
  #redactCause(cause: Error): Error {
    if (cause instanceof ChatGPTError) return this.redactError(cause)
    const copy = new Error(this.redact(String(cause.message)))
    copy.name = cause.name
    copy.stack = cause.stack === undefined ? undefined : this.redact(cause.stack)
    const code = (cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code
    if (typeof code === 'string') (copy as Error & { code?: string }).code = code
    return copy
  }
}

/** Adds `token` to `set` as its newest entry, dropping the oldest past `max`. */
function addBounded(set: Set<string>, token: string | undefined, max: number): void {
  if (!token || token.length < MIN_SECRET_LENGTH) return
  set.delete(token)
  set.add(token)
  if (set.size > max) set.delete(set.values().next().value!)
}

/** The "    at …" lines of a stack, without the message line(s) above them. */
function framesOf(stack: string): string {
  const at = stack.indexOf('\n    at ')
  return at === -1 ? '' : stack.slice(at)
}
