/**
 * The accounts file of `chatgpt serve --accounts FILE`: a JSON array of
 * `{ "id", "sessionToken", "clearanceToken"?, "accessToken"?, "userAgent"? }`. Checked whole
 * before anything starts; a mistake names the entry and the field, never a token's value.
 */
import { readFileSync, statSync } from 'node:fs'

import { UsageError } from './cli-error.js'

export type AccountEntry = {
  id: string
  sessionToken?: string
  clearanceToken?: string
  accessToken?: string
  userAgent?: string
  /** `'2022'` (the default) or `'2026'`: today's send sequence (see the library's `protocol`). */
  protocol?: string
  /** A UUID sent as `oai-device-id` with protocol '2026'; keep it stable per account. */
  deviceId?: string
}

const FIELDS = ['id', 'sessionToken', 'clearanceToken', 'accessToken', 'userAgent', 'protocol', 'deviceId'] as const

/** At most this many bytes are read: an accounts file is a list of tokens, not a database. */
const MAX_FILE_BYTES = 4 * 1024 * 1024

/** The pool's rule for an account id; checked here first, so that no message ever shows another. */
const ACCOUNT_ID = /^[\x21-\x7e]{1,128}$/

/**
 * Text from the file as an error shows it: quoted, cut, with control characters escaped, so that
 * a file cannot write escape sequences to the operator's terminal.
 */
function quoted(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(text.slice(0, max)).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export function readAccountsFile(path: string): { accounts: AccountEntry[]; tooOpen: boolean } {
  let text: string
  let tooOpen = false
  try {
    const stat = statSync(path)
    if (!stat.isFile()) throw new UsageError(`--accounts ${path} is not a file`)
    if (stat.size > MAX_FILE_BYTES) throw new UsageError(`--accounts ${path} is larger than 4 MiB`)
    tooOpen = process.platform !== 'win32' && (stat.mode & 0o077) !== 0
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`cannot read --accounts ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    // JSON.parse's message quotes the text near the mistake, which may be a token: say where only.
    const position = /position (\d+)/.exec((error as Error).message)?.[1]
    throw new UsageError(`--accounts ${path} is not valid JSON${position ? ` (near character ${position})` : ''}`)
  }
  return { accounts: checkAccounts(parsed, path), tooOpen }
}

export function checkAccounts(parsed: unknown, path: string): AccountEntry[] {
  const where = `--accounts ${path}`
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new UsageError(`${where} must hold a non-empty JSON array of accounts: [{ "id": "…", "sessionToken": "…" }, …]`)
  }
  const ids = new Set<string>()
  return parsed.map((entry, index) => {
    const at = `${where}: account ${index + 1}`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new UsageError(`${at} must be an object`)
    const unknown = Object.keys(entry).filter((key) => !(FIELDS as readonly string[]).includes(key))
    if (unknown.length > 0) {
      throw new UsageError(`${at} has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => quoted(key, 40)).join(', ')} (known: ${FIELDS.join(', ')})`)
    }
    const account = entry as Record<string, unknown>
    for (const field of FIELDS) {
      if (account[field] !== undefined && (typeof account[field] !== 'string' || account[field] === '')) {
        throw new UsageError(`${at}: "${field}" must be a non-empty string`)
      }
    }
    const id = account.id as string | undefined
    if (id === undefined) throw new UsageError(`${at} has no "id"`)
    // Not shown: it may be anything, escape sequences included.
    if (!ACCOUNT_ID.test(id)) throw new UsageError(`${at}: "id" must be 1 to 128 printable ASCII characters without spaces`)
    if (ids.has(id)) throw new UsageError(`${at}: the id "${id}" is used twice`)
    ids.add(id)
    if (account.sessionToken === undefined && account.accessToken === undefined) {
      throw new UsageError(`${at} ("${id}") needs a "sessionToken" (or an "accessToken")`)
    }
    return Object.fromEntries(FIELDS.filter((field) => account[field] !== undefined).map((field) => [field, account[field]])) as AccountEntry
  })
}
