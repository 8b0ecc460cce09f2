/**
 * The headers of protocol '2026' (PROTOCOL-2026.md §2.2, §2.3): the seed's browser headers with
 * today's site as origin, the `oai-did` cookie, and on every backend call (those with an access
 * token) `oai-device-id`, `oai-language` and, when known, `ChatGPT-Account-Id`.
 */
import { jwtChatGPTAccountId } from '../jwt-claims.js'
import type { RequestSpec } from '../transport.js'
import { webHeaders } from '../transport.js'
import type { Site } from './site-url.js'

/** The device cookie the site sets on its page; its value is the `oai-device-id` header's. */
export const DEVICE_COOKIE = 'oai-did'

export type Headers2026Options = {
  userAgent: string
  clearanceToken: string | undefined
  deviceId: string
  site: Site
  /** The account id the session named (`account.id`), read at each request: it may change. */
  sessionAccountId: () => string | undefined
}

/** The headers function of a protocol '2026' transport. */
export function webHeaders2026(options: Headers2026Options): (spec: RequestSpec) => Record<string, string> {
  const seed = webHeaders(options.userAgent, options.clearanceToken)
  const { deviceId, site } = options
  const accountIds = new AccountIdMemo()
  return (spec) => {
    // The seed's empty app id header is a 2022 artefact no 2026 client sends.
    const { 'x-openai-assistant-app-id': _appId, origin: _origin, referer: _referer, ...headers } = seed(spec)
    const device = `${DEVICE_COOKIE}=${deviceId}`
    headers.Cookie = headers.Cookie ? `${headers.Cookie}; ${device}` : device
    // A page load (the bootstrap) has neither: only the page's own requests do.
    if (spec.accessToken !== undefined || spec.sessionToken !== undefined) {
      headers.origin = site.origin
      headers.referer = site.pageUrl
    }
    if (spec.accessToken === undefined) return headers
    headers['oai-device-id'] = deviceId
    headers['oai-language'] = 'en-US'
    // A page's fetch of its own backend; Node's fetch adds `sec-fetch-mode: cors` itself.
    headers['sec-fetch-dest'] = 'empty'
    headers['sec-fetch-site'] = 'same-origin'
    const accountId = options.sessionAccountId() ?? accountIds.of(spec.accessToken)
    if (accountId !== undefined) headers['ChatGPT-Account-Id'] = accountId
    return headers
  }
}

/** The account claim of the last access token seen: the same token is sent many times. */
class AccountIdMemo {
  #token: string | undefined
  #accountId: string | undefined

  of(token: string): string | undefined {
    if (token !== this.#token) {
      this.#token = token
      this.#accountId = jwtChatGPTAccountId(token)
    }
    return this.#accountId
  }
}
