import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendApiError } from './api-errors.js'

/**
 * The API keys the Chat Completions API (`/v1`) accepts. Made up per backend, so a key from one
 * backend (or a real key) never works on another; a key shaped like OpenAI's (`sk-…`) keeps a
 * client's key handling (masking, logging filters) honest.
 */
export class ApiKeyRing {
  readonly #keys = new Set<string>()

  /** Creates and accepts a new key. */
  add(): string {
    const key = `sk-test-${randomBytes(24).toString('base64url')}`
    this.#keys.add(key)
    return key
  }

  /** Stops accepting `key`; unknown keys are ignored (they are refused already). */
  revoke(key: string): void {
    this.#keys.delete(key)
  }

  has(key: string | undefined): boolean {
    return key !== undefined && this.#keys.has(key)
  }
}

// OpenAI's own wording (2023-2026), without the part that echoes a masked key: a test backend
// never puts a credential in a body, even masked.
const NO_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys."
const WRONG_KEY = 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.'

/**
 * Whether the request's `Authorization: Bearer` key is accepted. Otherwise answers 401 itself as
 * the API does: `code: 'invalid_api_key'` for a wrong key, `code: null` for none at all.
 */
export function requireApiKey(keys: ApiKeyRing, req: IncomingMessage, res: ServerResponse): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  if (keys.has(match?.[1])) return true
  if (match) sendApiError(res, 401, WRONG_KEY, { code: 'invalid_api_key' })
  else sendApiError(res, 401, NO_KEY, { code: null })
  return false
}
