/**
 * One authenticated request to the backend API with the retry rules of a call: tried again after
 * a failure the policy allows (`retry.ts`), and once with a fresh access token after a 401 (an
 * access token given alone has none: the 401 ends the call). The access token is fetched outside
 * the retries: the session refresh has retried on its own.
 */
import { ChatGPTError } from '../errors.js'
import type { AuthSource } from './auth-source.js'
import { backoffBeforeRetry } from './backoff.js'
import type { CallSignal } from './call-signal.js'
import type { RequestSpec, ResponseHandler, Transport } from './transport.js'

export type BackendCall = {
  method: RequestSpec['method']
  url: string
  /** `backendApiBaseUrl`, which `url` starts with: a bare 404 says to check it. */
  baseUrl: string
  body?: unknown
  /** Headers of this request alone (see `RequestSpec.headers`). */
  headers?: Record<string, string>
  call: CallSignal
  maxRetries: number
  /**
   * Whether sending it twice is safe. @defaultValue `false` for a POST (a web reply: it may have
   * started), `true` otherwise; the Chat Completions API keeps no state, so its POST is safe.
   */
  idempotent?: boolean
  /** The option `baseUrl` is. @defaultValue `'backendApiBaseUrl'` */
  baseUrlName?: 'apiBaseUrl' | 'backendApiBaseUrl'
  /**
   * The one re-authentication after a 401, shared by the requests of one protocol '2026' turn
   * (bootstrap, sentinel, conduit, send), so that a token the server keeps refusing costs one
   * sign-in per turn, not one per step. @defaultValue a budget of this request's own
   */
  reauth?: ReauthBudget
}

/** Whether the one re-authentication a call may make after a 401 has been made. */
export type ReauthBudget = { used: boolean }

export async function backendCall<T>(
  transport: Transport,
  auth: AuthSource,
  request: BackendCall,
  handler: ResponseHandler<T>
): Promise<T> {
  const { call, method } = request
  const backoff = {
    what: `${method} ${new URL(request.url).pathname}`,
    maxRetries: request.maxRetries,
    // A POST may start something on the server (a reply); sending it twice is never safe.
    idempotent: request.idempotent ?? method !== 'POST',
    log: (line: string) => transport.log(line),
    call
  }
  const reauth = request.reauth ?? { used: false }
  for (let retries = 0, attempt = 1; ; attempt++) {
    const accessToken = await auth.accessToken(call.signal)
    try {
      return await transport.request(
        {
          method,
          url: request.url,
          baseUrl: { name: request.baseUrlName ?? 'backendApiBaseUrl', url: request.baseUrl },
          body: request.body,
          headers: request.headers,
          accessToken,
          signal: call.signal,
          attempt,
          // Headers and body bytes, of a JSON answer as of a reply stream, keep the call alive.
          onAlive: () => call.touch()
        },
        handler
      )
    } catch (error) {
      if (call.aborted) throw call.reason
      if (error instanceof ChatGPTError && error.code === 'token_expired' && !reauth.used) {
        reauth.used = true
        transport.log(
          `${backoff.what}: access token refused (${error.statusCode}); ${auth.canRefresh ? 're-auth and one more try' : 'it cannot be refreshed'}`
        )
        // Without a session the next `accessToken` fails with what to do; with one, it is fresh.
        auth.invalidate(accessToken, error)
        continue
      }
      if (!(await backoffBeforeRetry(backoff, error, retries))) throw error
      retries++
    }
  }
}
