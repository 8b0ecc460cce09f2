import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BodyResult } from './request-body.js'

/** Sends a JSON answer unless the response is already under way. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  sendText(res, status, JSON.stringify(body), { 'content-type': 'application/json', ...headers })
}

/** Sends a complete text answer unless the response is already under way. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string>
): void {
  if (res.headersSent || res.destroyed) return
  const body = Buffer.from(text, 'utf8')
  res.writeHead(status, { ...headers, 'content-length': String(body.length) })
  res.end(body)
}

/** An error answer in the backend's `{detail: {message, code}}` form. */
export function sendDetail(res: ServerResponse, status: number, message: string, code: string): void {
  sendJson(res, status, { detail: { message, code } })
}

/** Request headers flattened to one string per lower-cased name. */
export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    // Node already joins most repeats; only cookie and set-cookie can come as arrays.
    flat[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value
  }
  return flat
}

/** The cookies of a `cookie` header; the first occurrence of a name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  if (!header) return cookies
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq === -1) continue
    const name = pair.slice(0, eq).trim()
    if (name && !cookies.has(name)) cookies.set(name, pair.slice(eq + 1).trim())
  }
  return cookies
}

/** Whether `value` is a string in the 8-4-4-4-12 hex UUID form. */
export function isUuid(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
  )
}

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The parsed JSON body (`undefined` when there is none). Answers 400 itself and returns
 * `{ok: false}` when the body is not JSON.
 */
export function requireJson(body: BodyResult, res: ServerResponse): { ok: true; value: unknown } | { ok: false } {
  if (body.kind === 'invalid') {
    sendDetail(res, 400, 'The request body is not valid JSON.', 'invalid_json')
    return { ok: false }
  }
  return { ok: true, value: body.kind === 'json' ? body.value : undefined }
}
