/**
 * One authenticated JSON call to the backend API (PROTOCOL.md §4): the same headers and cookie
 * as a message, a bounded body, and the same error mapping.
 */
import { ChatGPTError } from '../errors.js'
import { errorFromResponse } from './http-error.js'
import { readBodyText } from './read-body.js'
import { CLEARANCE_COOKIE, browserHeaders, cookieHeader } from './transport.js'

export type BackendJsonRequest = {
  url: string
  method: string
  /** Sent as JSON when present. */
  body?: unknown
  accessToken: string
  clearanceToken?: string
  userAgent: string
  signal: AbortSignal
  fetch: typeof fetch
  clean: (text: string) => string
}

export async function requestBackendJson<T>(request: BackendJsonRequest): Promise<T> {
  const response = await request.fetch(request.url, {
    method: request.method,
    headers: {
      ...browserHeaders(request.userAgent),
      Authorization: `Bearer ${request.accessToken}`,
      Accept: 'application/json',
      ...(request.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(request.clearanceToken
        ? { Cookie: cookieHeader({ [CLEARANCE_COOKIE]: request.clearanceToken }) }
        : {})
    },
    body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
    signal: request.signal
  })
  const { text, truncated } = await readBodyText(response)
  if (!response.ok) throw errorFromResponse(response, text, request.clean)
  if (truncated) {
    throw new ChatGPTError('ChatGPT answered with a body larger than this client accepts', {
      code: 'invalid_response',
      statusCode: response.status,
      response
    })
  }
  try {
    return JSON.parse(text) as T
  } catch (error) {
    // A 200 HTML page here is usually a challenge or a login page served by a proxy.
    const asError = errorFromResponse(response, text, request.clean)
    if (asError.code === 'cloudflare_challenge') throw asError
    throw new ChatGPTError('ChatGPT answered with something other than JSON', {
      code: 'invalid_response',
      statusCode: response.status,
      response,
      originalError: error
    })
  }
}
