import { STATUS_CODES, type ServerResponse } from 'node:http'
import { apiHeaders, defaultApiError } from './api-errors.js'
import { sendChallenge } from './cloudflare.js'
import { sendJson, sendText } from './http-io.js'
import type { Fault } from './types.js'

/** The endpoints faults can be aimed at; see `Fault.endpoint`. */
export type FaultEndpoint = 'session' | 'conversation' | 'completions' | 'sentinel' | 'conduit'

const ENDPOINTS: readonly FaultEndpoint[] = ['session', 'conversation', 'completions', 'sentinel', 'conduit']

/** The 2026 mode's JSON endpoints: they stream nothing, so only answer faults apply there. */
const ANSWER_ONLY_ENDPOINTS: readonly FaultEndpoint[] = ['sentinel', 'conduit']

/** Faults that replace the whole answer. */
export type AnswerFault = Extract<Fault, { type: 'status' | 'cloudflare' | 'html' | 'json' }>
/** Faults that break a stream after it started. */
export type StreamFault = Exclude<Fault, AnswerFault>

const ANSWER_TYPES = new Set(['status', 'cloudflare', 'html', 'json'])
const STREAM_TYPES = new Set(['stall', 'reset', 'cut', 'stream-error', 'detail-event'])

/** The default `{detail}` text of in-stream failures. */
export const GENERIC_FAILURE =
  'Something went wrong. If this issue persists please contact us through our help center at help.openai.com.'

const isAnswerFault = (f: Fault): f is AnswerFault => ANSWER_TYPES.has(f.type)

/**
 * One-shot faults in FIFO order. A request only ever looks at the oldest fault for its endpoint,
 * so faults queued for one endpoint fire in the order they were queued.
 */
export class FaultQueue {
  #queue: Fault[] = []

  /** @throws TypeError or RangeError for a fault the backend cannot act on. */
  push(fault: Fault): void {
    this.#queue.push(validateFault(fault))
  }

  /**
   * Takes the oldest fault for `endpoint` (and for the account `userId`, when the fault names
   * one), whatever its kind.
   */
  take(endpoint: FaultEndpoint, userId?: string): Fault | undefined {
    const index = this.#queue.findIndex((f) => applies(f, endpoint, userId))
    return index === -1 ? undefined : this.#queue.splice(index, 1)[0]
  }

  /** Takes the oldest fault for `endpoint` if it replaces the answer; stream faults stay queued. */
  takeAnswer(endpoint: FaultEndpoint, userId?: string): AnswerFault | undefined {
    const next = this.#peek(endpoint, userId)
    return next && isAnswerFault(next) ? (this.take(endpoint, userId) as AnswerFault) : undefined
  }

  /** Takes the oldest fault for `endpoint` if it breaks a stream. */
  takeStream(endpoint: FaultEndpoint, userId?: string): StreamFault | undefined {
    const next = this.#peek(endpoint, userId)
    return next && !isAnswerFault(next) ? (this.take(endpoint, userId) as StreamFault) : undefined
  }

  clear(): void {
    this.#queue = []
  }

  #peek(endpoint: FaultEndpoint, userId: string | undefined): Fault | undefined {
    return this.#queue.find((f) => applies(f, endpoint, userId))
  }
}

/** Whether a request to `endpoint` by the account `userId` takes `fault`. */
function applies(fault: Fault, endpoint: FaultEndpoint, userId: string | undefined): boolean {
  return (fault.endpoint ?? 'conversation') === endpoint && (fault.userId === undefined || fault.userId === userId)
}

function validateFault(fault: Fault): Fault {
  if (typeof fault !== 'object' || fault === null) throw new TypeError('fault must be an object')
  if (!ANSWER_TYPES.has(fault.type) && !STREAM_TYPES.has(fault.type)) {
    throw new TypeError(`unknown fault type: ${String(fault.type)}`)
  }
  if (fault.endpoint !== undefined && !ENDPOINTS.includes(fault.endpoint)) {
    throw new TypeError(`unknown fault endpoint: ${String(fault.endpoint)}`)
  }
  if (fault.userId !== undefined && (typeof fault.userId !== 'string' || fault.userId === '')) {
    throw new TypeError("fault userId must be a non-empty string (an account's user.id)")
  }
  // It would wait in the queue forever: API requests carry a key, never an account.
  if (fault.userId !== undefined && fault.endpoint === 'completions') {
    throw new TypeError("fault userId does not apply to endpoint 'completions' (API requests have no account)")
  }
  if (fault.endpoint !== undefined && ANSWER_ONLY_ENDPOINTS.includes(fault.endpoint) && !ANSWER_TYPES.has(fault.type)) {
    throw new TypeError(`fault type '${fault.type}' does not apply to endpoint '${fault.endpoint}' (it streams nothing)`)
  }
  if (fault.type === 'status' && !(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)) {
    throw new RangeError(`fault status must be an integer in 200..599, got ${String(fault.status)}`)
  }
  if ('afterEvents' in fault && fault.afterEvents !== undefined) {
    if (!Number.isInteger(fault.afterEvents) || fault.afterEvents < 0) {
      throw new RangeError(`afterEvents must be a non-negative integer, got ${String(fault.afterEvents)}`)
    }
  }
  // A copy, so the caller mutating its object later cannot change a queued fault.
  return structuredClone(fault)
}

/** Answers a request with an answer fault. */
export function sendAnswerFault(res: ServerResponse, fault: AnswerFault, endpoint: FaultEndpoint): void {
  switch (fault.type) {
    case 'status': {
      const api = endpoint === 'completions'
      const body = fault.body ?? (api ? { error: defaultApiError(fault.status) } : { detail: STATUS_CODES[fault.status] ?? 'Error' })
      const headers = { ...(api ? apiHeaders() : {}), ...fault.headers }
      if (typeof body === 'string') {
        const type = body.trimStart().startsWith('<') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8'
        sendText(res, fault.status, body, { 'content-type': type, ...headers })
      } else {
        sendJson(res, fault.status, body, headers)
      }
      return
    }
    case 'cloudflare':
      sendChallenge(res)
      return
    case 'html':
      sendText(res, 200, LOGIN_PAGE, { 'content-type': 'text/html; charset=utf-8' })
      return
    case 'json':
      sendJson(res, 200, fault.body ?? defaultJsonBody(endpoint))
      return
  }
}

function defaultJsonBody(endpoint: FaultEndpoint): unknown {
  if (endpoint === 'session') return {}
  if (endpoint === 'completions') return { error: defaultApiError(500) }
  return { detail: GENERIC_FAILURE }
}

// What a misrouted request (an expired login, a captive portal) typically gets instead of JSON.
const LOGIN_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>ChatGPT</title></head>
<body><div id="__next"><h1>Welcome to ChatGPT</h1><p>Log in with your OpenAI account to continue</p><a href="/auth/login">Log in</a></div></body>
</html>
`
