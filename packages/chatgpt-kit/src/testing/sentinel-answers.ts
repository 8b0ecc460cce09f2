/**
 * The refusals of today's backend (PROTOCOL-2026.md §13), and the request facts every 2026
 * endpoint needs: the account (refused in the 2026 wording) and the device id.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AccountRegistry } from './accounts.js'
import { sendJson } from './http-io.js'
import type { TestUser } from './types.js'

/** 401 of a token the 2026 backend does not accept (bad, expired or revoked), §3.2 and §13. */
export const UNPARSEABLE_TOKEN = 'Could not parse your authentication token. Please try signing in again.'

/**
 * 403 "Unusual activity" (§13): the sentinel refused the request (proof, requirements token,
 * device). JSON, with a `cf-ray`, and without `cf-mitigated`: it is the backend's own refusal, not
 * Cloudflare's challenge, and a client must be able to tell the two apart.
 */
export function sendUnusualActivity(res: ServerResponse): void {
  const ray = `${randomBytes(8).toString('hex')}-SJC`
  sendJson(
    res,
    403,
    { detail: `Unusual activity has been detected from your device. Try again later. (${ray})` },
    { 'cf-ray': ray }
  )
}

/** 403 with an empty body: `/f/conversation` without a valid proof token (§4.1, §13, S8 1.8.4). */
export function sendBareForbidden(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(403, { 'content-length': '0' })
  res.end()
}

/** 500 `{"detail": "Internal Server Error"}`: what finalize answers to wrong body keys (§3.2, S11). */
export function sendInternalError(res: ServerResponse): void {
  sendJson(res, 500, { detail: 'Internal Server Error' })
}

/**
 * The account behind the Bearer access token; otherwise answers 401 `{detail: "Could not parse
 * your authentication token…"}` (a plain string, the 2026 wording) and returns `undefined`.
 */
export function requireUser2026(
  accounts: AccountRegistry,
  req: IncomingMessage,
  res: ServerResponse
): TestUser | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  const found = accounts.lookupAccessToken(match?.[1])
  if (found.kind === 'valid') return found.user
  sendJson(res, 401, { detail: UNPARSEABLE_TOKEN })
  return undefined
}

/** A request header's single value (the first, if repeated), or `undefined`. */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  const one = Array.isArray(value) ? value[0] : value
  return one === undefined || one === '' ? undefined : one
}

/** The `oai-device-id` header (§2.2), or `undefined` when absent or empty. */
export function deviceIdOf(req: IncomingMessage): string | undefined {
  return headerOf(req, 'oai-device-id')
}
