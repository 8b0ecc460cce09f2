/**
 * A failed answer of the Chat Completions API as a ChatGPTError: its error JSON
 * (`{ error: { message, type, param, code } }`) read for the code, the API's own message, and the
 * wait hint of its headers (`retry-after-ms`, `retry-after`).
 */
import { ChatGPTError, type ChatGPTErrorCode } from '../../errors.js'
import { parseJson } from '../http-error.js'
import { oneLine } from '../redact.js'
import { retryAfterMs } from '../retry-after.js'

/** What the API said, pulled out of its error JSON (or of an `error` event inside a stream). */
export type ApiErrorBody = { message?: string; type?: string; code?: string; param?: string }

export function apiErrorBody(value: unknown): ApiErrorBody | undefined {
  const error = value && typeof value === 'object' ? (value as { error?: unknown }).error : undefined
  if (!error || typeof error !== 'object') return typeof error === 'string' ? { message: error } : undefined
  const field = (name: string) => {
    const item = (error as Record<string, unknown>)[name]
    return typeof item === 'string' ? item : undefined
  }
  return { message: field('message'), type: field('type'), code: field('code'), param: field('param') }
}

function codeFor(status: number, body: ApiErrorBody | undefined): ChatGPTErrorCode {
  const said = body?.code ?? body?.type
  if (said === 'context_length_exceeded' || said === 'string_above_max_length') return 'context_length_exceeded'
  if (said === 'insufficient_quota') return 'forbidden'
  if (said === 'model_not_found') return 'not_found'
  if (said === 'invalid_api_key') return 'unauthorized'
  switch (status) {
    case 400:
    case 422:
      return 'bad_request'
    case 401:
      return 'unauthorized'
    case 403:
      return 'forbidden'
    case 404:
      return 'not_found'
    case 408:
      return 'timeout'
    case 413:
      return 'context_length_exceeded'
    case 429:
      return 'rate_limited'
    default:
      return status >= 500 ? 'server_error' : 'http_error'
  }
}

export function apiErrorFromResponse(response: Response, bodyText: string): ChatGPTError {
  const body = apiErrorBody(parseJson(bodyText))
  const status = `${response.status}${response.statusText ? ` ${oneLine(response.statusText)}` : ''}`
  const said = body?.message ? oneLine(body.message) : ''
  return new ChatGPTError(said ? `OpenAI API error ${response.status}: ${said}` : `OpenAI API error ${status}`, {
    code: codeFor(response.status, body),
    statusCode: response.status,
    statusText: oneLine(response.statusText),
    retryAfterMs: retryAfterMs(response.headers)
  })
}

/** An `error` event inside a stream (the status was 200 already). */
export function apiStreamError(body: ApiErrorBody, partialText: string): ChatGPTError {
  const said = body.message ? oneLine(body.message) : 'an error'
  const code = body.code === 'context_length_exceeded' ? 'context_length_exceeded' : 'stream_error'
  return new ChatGPTError(`OpenAI API stream error: ${said}`, { code, partialText })
}
