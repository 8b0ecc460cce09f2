import { randomBytes } from 'node:crypto'
import { STATUS_CODES, type ServerResponse } from 'node:http'
import { sendJson } from './http-io.js'

/** The `error` object of the Chat Completions API's error answers. */
export interface ApiErrorObject {
  message: string
  /** `invalid_request_error`, `server_error`, `requests` (a rate limit), … */
  type: string
  param: string | null
  code: string | null
}

/** A refusal of a `/v1` request, before it is sent. */
export interface ApiProblem {
  status: number
  error: ApiErrorObject
}

/** An {@link ApiProblem}; `type` defaults to `invalid_request_error`, `param` and `code` to `null`. */
export function apiProblem(status: number, message: string, fields: Partial<Omit<ApiErrorObject, 'message'>> = {}): ApiProblem {
  return {
    status,
    error: { message, type: fields.type ?? 'invalid_request_error', param: fields.param ?? null, code: fields.code ?? null }
  }
}

/** Whether a parse result is a refusal. */
export function isApiProblem(value: unknown): value is ApiProblem {
  return typeof value === 'object' && value !== null && 'status' in value && 'error' in value
}

/** Answers with `{error: {message, type, param, code}}`, as every `/v1` failure is answered. */
export function sendApiError(
  res: ServerResponse,
  status: number,
  message: string,
  fields: Partial<Omit<ApiErrorObject, 'message'>> = {},
  headers: Record<string, string> = {}
): void {
  sendProblem(res, apiProblem(status, message, fields), headers)
}

export function sendProblem(res: ServerResponse, problem: ApiProblem, headers: Record<string, string> = {}): void {
  sendJson(res, problem.status, { error: problem.error }, { ...apiHeaders(), ...headers })
}

/** Headers every `/v1` answer carries: the SDK exposes `x-request-id` as `_request_id`. */
export function apiHeaders(): Record<string, string> {
  return { 'x-request-id': `req_${randomBytes(16).toString('hex')}` }
}

/**
 * What the API answers with a status when a fault names no body: its own words for the statuses
 * clients meet (429, 500, 503), a generic one for the rest.
 */
export function defaultApiError(status: number): ApiErrorObject {
  switch (status) {
    case 401:
      return { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' }
    case 429:
      // A rate limit's `type` is what ran out: 'requests' or 'tokens'.
      return {
        message: 'Rate limit reached for requests per min (RPM). Please try again in 1s.',
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded'
      }
    case 500:
      return { message: SERVER_ERROR, type: 'server_error', param: null, code: null }
    case 503:
      return { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', param: null, code: null }
    default:
      return {
        message: STATUS_CODES[status] ?? 'Error',
        type: status >= 500 ? 'server_error' : 'invalid_request_error',
        param: null,
        code: null
      }
  }
}

/** The API's generic server failure, also the default of an in-stream error. */
export const SERVER_ERROR =
  'The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if the error persists.'
