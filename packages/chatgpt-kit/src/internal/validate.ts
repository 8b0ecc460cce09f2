/**
 * Checks on what the caller passes, so that a bad value fails at once with `invalid_argument`
 * instead of as a confusing answer from the server (or a header that breaks the request).
 * Messages name the option, never its value: the value may be a secret.
 */
import { ChatGPTError } from '../errors.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// Characters that would end a header or split a cookie, plus anything outside visible ASCII.
const UNSAFE_IN_COOKIE = /[^\x21-\x7e]|[;,"\\]/

function invalid(message: string): ChatGPTError {
  return new ChatGPTError(message, { code: 'invalid_argument' })
}

export function assertMessage(message: unknown): asserts message is string {
  if (typeof message !== 'string') throw invalid('message must be a string')
  if (message.trim() === '') throw invalid('message must not be empty')
}

/** A token that goes into a cookie or header: printable ASCII, no separators. */
export function assertToken(name: string, value: unknown, required = false): void {
  if (value === undefined || value === null || value === '') {
    if (required) throw invalid(`${name} is required`)
    return
  }
  if (typeof value !== 'string') throw invalid(`${name} must be a string`)
  if (UNSAFE_IN_COOKIE.test(value)) {
    throw invalid(`${name} contains characters that cannot go into a header or cookie (spaces, CR, LF, ';', ',', quotes)`)
  }
}

export function assertUuid(name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'string' || !UUID.test(value)) throw invalid(`${name} must be a UUID`)
}

/**
 * A duration in milliseconds: a number, 0 or more. `0` and `Infinity` mean none; durations past
 * what timers can hold (about 24.8 days) are clamped to it (see `durations.ts`).
 */
export function assertDuration(name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw invalid(`${name} must be a number of milliseconds, 0 or more (0 or Infinity for none)`)
  }
}

// A header value: tab, visible ASCII and space, or Latin-1 (what `fetch` can put on the wire).
const UNSAFE_IN_HEADER = /[^\t\x20-\x7e\x80-\xff]/

/** A value that goes into a header as is (the User-Agent). */
export function assertHeaderValue(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || UNSAFE_IN_HEADER.test(value)) {
    throw invalid(`${name} must be a single-line string of Latin-1 characters, without control characters`)
  }
}

/**
 * An absolute http(s) URL. Without `allowCredentials` it must not carry a user or password
 * (a proxy may: its password is then one of the client's secrets).
 */
export function assertBaseUrl(name: string, value: unknown, allowCredentials = false): void {
  if (typeof value !== 'string') throw invalid(`${name} must be a URL string`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid(`${name} must be an absolute http(s) URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`${name} must be an absolute http(s) URL`)
  }
  // A password in a URL ends up in logs and error messages; credentials go in their own options.
  if (!allowCredentials && (url.username || url.password)) {
    throw invalid(`${name} must not contain a user name or password`)
  }
}

/** A whole number of things, 0 or more. */
export function assertCount(name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalid(`${name} must be a whole number, 0 or more`)
  }
}

/** A UUID that must be present. */
export function assertRequiredUuid(name: string, value: unknown): asserts value is string {
  if (value === undefined || value === null || value === '') throw invalid(`${name} is required`)
  assertUuid(name, value)
}

/** A model slug: it goes into a JSON body, but a newline or a megabyte in it is never meant. */
export function validModel(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200 || /[\x00-\x1f\x7f]/.test(value)) {
    throw invalid(`${name} must be a model slug: a non-empty single-line string`)
  }
  return value
}

/** A whole number of things, 1 or more (a page size, how far to go back). */
export function assertPositiveCount(name: string, value: unknown): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(`${name} must be a whole number, 1 or more`)
  }
}

/** A string that must not be blank (a title, a prompt to moderate). */
export function assertText(name: string, value: unknown, allowEmpty = false): asserts value is string {
  if (typeof value !== 'string') throw invalid(`${name} must be a string`)
  if (!allowEmpty && value.trim() === '') throw invalid(`${name} must not be empty`)
}

/** An `invalid_argument` error for checks that need more than a value (state, a history). */
export function invalidArgument(message: string): ChatGPTError {
  return invalid(message)
}
