/**
 * The one HTTP path. Every request (the session, a JSON call, a reply stream) goes through
 * {@link Transport.request}, which owns what they share: headers and cookies, `fetch`, the
 * network-error rule, the error mapping of a failed answer, the HTML / Cloudflare check, body
 * reads raced against the call's signal, one `debug` line per request, and redaction.
 * What differs between them is the response handler they pass.
 */
import { ChatGPTError } from '../errors.js'
import { BodyReader, readBodyText } from './body-reader.js'
import { CLEARANCE_COOKIE, SESSION_COOKIE, browserHeaders, cookieHeader } from './browser-headers.js'
import { type BaseUrlOption, errorFromResponse, unexpectedAnswerError } from './http-error.js'
import { networkError } from './network-error.js'
import type { Secrets } from './secrets.js'

/** The most of an error answer we read: enough for its `detail`, or to recognise a challenge page. */
const ERROR_BODY_BYTES = 64 * 1024

/** One request. */
export type RequestSpec = {
  method: 'GET' | 'POST' | 'PATCH'
  url: string
  /** Sent as `Authorization: Bearer …`. */
  accessToken?: string
  /** Sent as the session cookie (the session endpoint only). */
  sessionToken?: string
  /** Sent as JSON. */
  body?: unknown
  /**
   * Headers of this request alone, over the client's (protocol '2026': the sentinel's tokens on
   * a send, a page load's `sec-fetch-*` on the bootstrap). Never logged: they may hold tokens.
   */
  headers?: Record<string, string>
  /** Aborts the request and every read of its body. */
  signal: AbortSignal
  /** The option `url` was built from: a bare 404 then says to check it. */
  baseUrl?: BaseUrlOption
  /** 1 for the first try; for the `debug` line. */
  attempt: number
  /**
   * Called at each sign of life of the server: the answer's headers, then each chunk of a good
   * answer's body (the call's idle clock). Not while an error answer is read: its body is
   * bounded by that clock.
   */
  onAlive?: () => void
}

/** Makes the answer of a request (a 2xx, not an HTML page) into what the caller wants. */
export type ResponseHandler<T> = {
  /** The `Accept` header. */
  accept: string
  /** What the answer should be, for errors: "a reply stream", "JSON". */
  what: string
  /** True when the content type is acceptable for this handler (checked before any body read). */
  accepts: (contentType: string) => boolean
  /**
   * True when an HTML page is the answer wanted (the 2026 bootstrap page); otherwise a 2xx HTML
   * page is an error (a login page, a challenge).
   */
  html?: boolean
  handle: (response: Response, body: BodyReader | undefined, signal: AbortSignal) => Promise<T>
}

export type TransportOptions = {
  fetch: typeof fetch
  /**
   * The headers of a request besides `Accept`, `Authorization` and `Content-Type`: a browser's,
   * with its cookies, for the web backend ({@link webHeaders}); an API key's for the API.
   */
  headers: (spec: RequestSpec) => Record<string, string>
  /** A failed answer (not 2xx) as the error to throw. @defaultValue the web backend's rules */
  errorFromResponse?: (response: Response, bodyText: string, spec: RequestSpec) => ChatGPTError
  secrets: Secrets
  /** Receives each line already redacted; absent: no logging. */
  debug: ((line: string) => void) | undefined
}

/** The web backend's headers: a browser's, with the clearance cookie and the session's when sent. */
export function webHeaders(userAgent: string, clearanceToken: string | undefined): (spec: RequestSpec) => Record<string, string> {
  return (spec) => {
    const cookie = cookieHeader({ [CLEARANCE_COOKIE]: clearanceToken, [SESSION_COOKIE]: spec.sessionToken })
    return cookie ? { ...browserHeaders(userAgent), Cookie: cookie } : browserHeaders(userAgent)
  }
}

export class Transport {
  constructor(private readonly options: TransportOptions) {}

  /** Logs a line (redacted) when `debug` is on. */
  log(line: string): void {
    const { debug, secrets } = this.options
    if (!debug) return
    try {
      debug(secrets.redact(line))
    } catch {
      // A broken logger must not change the outcome of a call.
    }
  }

  /**
   * Sends one request and hands a good answer to `handler`.
   *
   * @throws the signal's reason once it aborts; a ChatGPTError (redacted) for a failed answer,
   *   an HTML page, an unexpected content type, or a failed `fetch()` (`network`, whose
   *   `originalError` tells whether it was the network's and whether it failed to connect).
   */
  async request<T>(spec: RequestSpec, handler: ResponseHandler<T>): Promise<T> {
    const { secrets } = this.options
    try {
      const response = await this.#send(spec, handler.accept)
      return await this.#answer(response, spec, handler)
    } catch (error) {
      if (spec.signal.aborted) throw spec.signal.reason
      throw error instanceof ChatGPTError ? secrets.redactError(error) : error
    }
  }

  async #send(spec: RequestSpec, accept: string): Promise<Response> {
    const { fetch } = this.options
    const headers: Record<string, string> = { ...this.options.headers(spec), ...spec.headers, Accept: accept }
    if (spec.accessToken) headers.Authorization = `Bearer ${spec.accessToken}`
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json'

    const started = Date.now()
    const request = `${spec.method} ${new URL(spec.url).pathname}`
    let response: Response
    try {
      response = await fetch(spec.url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: spec.signal
      })
    } catch (error) {
      if (spec.signal.aborted) throw spec.signal.reason
      // Our own fetch's verdicts (a proxy without undici) are already the error to show.
      if (error instanceof ChatGPTError) throw error
      this.log(`${request} → network error (${Date.now() - started} ms, attempt ${spec.attempt})`)
      throw networkError(error, spec.url)
    }
    this.log(`${request} → ${response.status} (${Date.now() - started} ms, attempt ${spec.attempt})`)
    spec.onAlive?.()
    return response
  }

  async #answer<T>(response: Response, spec: RequestSpec, handler: ResponseHandler<T>): Promise<T> {
    const { signal } = spec
    if (!response.ok) {
      const { text } = await readBodyText(response, signal, ERROR_BODY_BYTES, spec.url)
      throw (this.options.errorFromResponse ?? errorFromResponse)(response, text, spec)
    }
    const contentType = response.headers.get('content-type') ?? ''
    if ((contentType.includes('html') && !handler.html) || !handler.accepts(contentType)) {
      const { text } = await readBodyText(response, signal, ERROR_BODY_BYTES, spec.url)
      throw unexpectedAnswerError(response, text, handler.what)
    }
    const body = response.body ? new BodyReader(response.body, signal, spec.onAlive, spec.url) : undefined
    try {
      return await handler.handle(response, body, signal)
    } catch (error) {
      body?.cancel()
      throw error
    }
  }
}
