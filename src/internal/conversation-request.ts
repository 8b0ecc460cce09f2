/**
 * `POST {backendApiBaseUrl}/conversation` (PROTOCOL.md §2): sending the prompt and checking
 * that what came back is a reply stream before anyone reads it as one.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationJSONBody } from '../types.js'
import { detailOf, errorFromResponse } from './http-error.js'
import { readBodyText } from './read-body.js'
import { sanitizeServerText } from './redact.js'
import { CLEARANCE_COOKIE, browserHeaders, cookieHeader } from './transport.js'

export type ConversationRequest = {
  backendApiBaseUrl: string
  accessToken: string
  clearanceToken?: string
  userAgent: string
  body: ConversationJSONBody
  signal: AbortSignal
  fetch: typeof fetch
  clean: (text: string) => string
}

/** The body of a plain message, in the seed's form. */
export function nextMessageBody(opts: {
  messageId: string
  text: string
  parentMessageId: string
  conversationId?: string
  model: string
}): ConversationJSONBody {
  const body: ConversationJSONBody = {
    action: 'next',
    messages: [
      {
        id: opts.messageId,
        role: 'user',
        content: { content_type: 'text', parts: [opts.text] }
      }
    ],
    model: opts.model,
    parent_message_id: opts.parentMessageId
  }
  if (opts.conversationId) body.conversation_id = opts.conversationId
  return body
}

/** A 200 that is not a stream: say what it was, briefly, without the page itself. */
async function notAStreamError(response: Response, contentType: string, clean: (text: string) => string) {
  const { text } = await readBodyText(response, 64 * 1024)
  if (contentType.includes('html')) {
    const asError = errorFromResponse(response, text, clean)
    if (asError.code === 'cloudflare_challenge') return asError
    return new ChatGPTError('ChatGPT answered with an HTML page instead of a reply stream', {
      code: 'invalid_response',
      statusCode: response.status,
      statusText: response.statusText,
      response
    })
  }
  let detail: string | undefined
  try {
    detail = detailOf(JSON.parse(text))?.message
  } catch {
    // not JSON either; the generic message below says enough
  }
  const what = contentType.includes('json') ? 'JSON' : `"${sanitizeServerText(contentType, 60)}"`
  return new ChatGPTError(
    `ChatGPT answered with ${what} instead of a reply stream${detail ? `: ${clean(sanitizeServerText(detail))}` : ''}`,
    { code: 'invalid_response', statusCode: response.status, statusText: response.statusText, response }
  )
}

/**
 * Sends the request and returns the stream body. Rejects with a ChatGPTError for any answer
 * that is not a reply stream; network failures reject as `fetch` does (the caller maps them).
 */
export async function openConversationStream(
  request: ConversationRequest
): Promise<ReadableStream<Uint8Array>> {
  const response = await request.fetch(`${request.backendApiBaseUrl}/conversation`, {
    method: 'POST',
    headers: {
      ...browserHeaders(request.userAgent),
      Authorization: `Bearer ${request.accessToken}`,
      Accept: 'text/event-stream',
      'Content-Type': 'application/json',
      ...(request.clearanceToken
        ? { Cookie: cookieHeader({ [CLEARANCE_COOKIE]: request.clearanceToken }) }
        : {})
    },
    body: JSON.stringify(request.body),
    signal: request.signal
  })

  if (!response.ok) {
    const { text } = await readBodyText(response, 64 * 1024)
    throw errorFromResponse(response, text, request.clean)
  }
  const contentType = response.headers.get('content-type') ?? ''
  // A missing content type is given the benefit of the doubt: some proxies drop it.
  if (contentType && !contentType.includes('text/event-stream')) {
    throw await notAStreamError(response, contentType, request.clean)
  }
  if (!response.body) {
    throw new ChatGPTError('ChatGPT answered with an empty body instead of a reply stream', {
      code: 'invalid_response',
      statusCode: response.status,
      response
    })
  }
  return response.body
}
