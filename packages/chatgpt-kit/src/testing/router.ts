import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendApiError } from './api-errors.js'
import { handleApiModel, handleApiModels } from './api-models-endpoint.js'
import {
  handleClearConversations,
  handleGenTitle,
  handleGetConversation,
  handleListConversations,
  handleMessageFeedback,
  handleModels,
  handleModerations,
  handlePatchConversation
} from './backend-api-endpoints.js'
import { sendChallenge } from './cloudflare.js'
import type { BackendContext, Exchange } from './context.js'
import { handleChatCompletions } from './completions-endpoint.js'
import { handleConversation } from './conversation-endpoint.js'
import { sendDetail, sendJson } from './http-io.js'
import { noteDeviceId } from './note-device-id.js'
import { parseRequestBody, readRequestBody } from './request-body.js'
import type { RequestLog } from './request-log.js'
import { protocol2026Routes } from './routes-2026.js'
import { handleSession } from './session-endpoint.js'

type Handler = (ctx: BackendContext, ex: Exchange) => void | Promise<void>

/** One endpoint: a method, a path pattern (its groups become `params`), and its handler. */
export interface Route {
  method: string
  path: RegExp
  handler: Handler
}

/** The Chat Completions API's paths: no Cloudflare challenge, and OpenAI's `{error}` answers. */
const API_PREFIX = /^\/v1(?:\/|$)/

// Fixed paths come before the `{id}` patterns they would otherwise match.
const ROUTES: Route[] = [
  { method: 'GET', path: /^\/api\/auth\/session$/, handler: handleSession },
  { method: 'POST', path: /^\/backend-api\/conversation$/, handler: handleConversation },
  { method: 'GET', path: /^\/backend-api\/models$/, handler: handleModels },
  { method: 'POST', path: /^\/backend-api\/moderations$/, handler: handleModerations },
  { method: 'POST', path: /^\/backend-api\/conversation\/message_feedback$/, handler: handleMessageFeedback },
  { method: 'POST', path: /^\/backend-api\/conversation\/gen_title\/([^/]+)$/, handler: handleGenTitle },
  { method: 'GET', path: /^\/backend-api\/conversations$/, handler: handleListConversations },
  { method: 'PATCH', path: /^\/backend-api\/conversations$/, handler: handleClearConversations },
  { method: 'GET', path: /^\/backend-api\/conversation\/([^/]+)$/, handler: handleGetConversation },
  { method: 'PATCH', path: /^\/backend-api\/conversation\/([^/]+)$/, handler: handlePatchConversation },
  { method: 'POST', path: /^\/v1\/chat\/completions$/, handler: handleChatCompletions },
  { method: 'GET', path: /^\/v1\/models$/, handler: handleApiModels },
  { method: 'GET', path: /^\/v1\/models\/([^/]+)$/, handler: handleApiModel }
]

/**
 * The server's request listener: reads the body, records the request, routes it, and puts
 * Cloudflare in front of every known route of the web backend (the official API, `/v1`, has none
 * a client with a key ever meets). It never throws: a handler failure becomes a 500
 * (or a dropped connection once streaming has begun).
 */
export function createRequestListener(
  ctx: BackendContext,
  log: RequestLog
): (req: IncomingMessage, res: ServerResponse) => void {
  const routes = [...protocol2026Routes(ctx.options), ...ROUTES]
  return (req, res) => {
    handle(ctx, log, routes, req, res).catch(() => {
      if (res.headersSent) res.destroy()
      else sendJson(res, 500, { detail: 'Internal Server Error' })
    })
  }
}

async function handle(
  ctx: BackendContext,
  log: RequestLog,
  routes: readonly Route[],
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> {
  const time = Date.now()
  const url = parseTarget(req.url ?? '/')
  const raw = await readRequestBody(req, ctx.options.maxBodyBytes)
  log.add(req, url.pathname, raw, time)
  noteDeviceId(ctx, req, url.pathname)
  const body = parseRequestBody(raw)
  // The rest of a refused upload may still be arriving: whatever the answer (413, 404, a
  // challenge), close rather than read it all for keep-alive.
  if (body.kind === 'too-large') res.setHeader('connection', 'close')

  const candidates = routes.map((route) => ({ route, match: route.path.exec(url.pathname) })).filter((c) => c.match)
  const found = candidates.find((c) => c.route.method === req.method)
  if (API_PREFIX.test(url.pathname)) {
    // The API answers an unknown path and a known one with another method alike.
    if (!found) return sendApiError(res, 404, `Invalid URL (${req.method} ${url.pathname})`)
    if (body.kind === 'too-large') return sendApiError(res, 413, 'The request body is too large.', { code: 'request_too_large' })
  } else {
    if (candidates.length === 0) return sendJson(res, 404, { detail: 'Not Found' })
    if (!found) return sendJson(res, 405, { detail: 'Method Not Allowed' })
    if (!ctx.clearance.admits(req)) return sendChallenge(res)
    if (body.kind === 'too-large') return sendDetail(res, 413, 'The request body is too large.', 'request_too_large')
  }
  const params = found.match!.slice(1).map(safeDecode)
  await found.route.handler(ctx, { req, res, url, body, params })
}

function parseTarget(target: string): URL {
  try {
    // Prefixing instead of resolving keeps `//host/path` a path rather than another host.
    return new URL(target.startsWith('/') ? `http://localhost${target}` : target, 'http://localhost')
  } catch {
    return new URL('http://localhost/')
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}
