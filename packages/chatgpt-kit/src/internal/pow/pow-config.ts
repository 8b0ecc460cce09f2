/**
 * The browser "environment" array that both sentinel proofs encode: the 25-field form of the
 * 2026 sentinel SDK (PROTOCOL-2026.md §4.3). The server cannot check most of it, but it can
 * compare it with the request (user agent, timezone, device), so a client keeps it consistent.
 */

/**
 * The config as sent, index by index. Entries 3 and 9 are overwritten by each use: the
 * requirements token puts `1` and the ms spent building it there; the solver the nonce and the
 * ms elapsed (or `nonce >> 1` in the legacy variant).
 */
export type PowConfig = [
  screenSum: number,
  dateString: string,
  heapSizeLimit: number,
  nonce: number,
  userAgent: string,
  scriptSrc: string | null,
  build: string | null,
  language: string,
  languages: string,
  elapsedMs: number,
  navigatorProbe: string,
  documentKey: string,
  windowKey: string,
  performanceNow: number,
  sessionId: string,
  searchKeys: string,
  hardwareConcurrency: number,
  timeOrigin: number,
  hasAi: number,
  hasCreatePRNG: number,
  hasCache: number,
  hasData: number,
  hasSolana: number,
  hasDump: number,
  hasInstallTrigger: number
]

/** What a config is built from; every field is one entry of {@link PowConfig}. */
export type PowEnvironment = {
  /** [0] `screen.width + screen.height`, e.g. 4000 for 2560×1440. Keep it stable per account. */
  screenSum: number
  /**
   * [1] `String(new Date())` in the browser's timezone (see `browserDateString`). Its timezone
   * should match the `timezone` sent in the conversation body and the exit IP.
   */
  dateString: string
  /** [2] `performance.memory.jsHeapSizeLimit`; Chrome's is 4294705152. */
  heapSizeLimit?: number
  /** [4] `navigator.userAgent`: the same string as the `user-agent` header. */
  userAgent: string
  /** [5] One `<script src>` of the bootstrap page, or the sentinel SDK's URL; `null` if none. */
  scriptSrc: string | null
  /** [6] The build: a script's `c/<id>/_`, else `<html data-build>` (`prod-<sha>`); `null` if unknown. */
  build: string | null
  /** [7] `navigator.language`; default `'en-US'`. */
  language?: string
  /** [8] `navigator.languages.join(',')`; default `'en-US,en'`. */
  languages?: string
  /** [10] A navigator key and its value joined by U+2212 (see `browserKeys`), e.g. `'webdriver−false'`. */
  navigatorProbe: string
  /** [11] One of `Object.keys(document)`, e.g. `'location'`. */
  documentKey: string
  /** [12] One of `Object.keys(window)`, e.g. `'onresize'`. */
  windowKey: string
  /** [13] `performance.now()`: ms (a float) since the page loaded. */
  performanceNow: number
  /** [14] The session's uuid (the SDK's `crypto.randomUUID()`), stable for the session. */
  sessionId: string
  /** [15] The page URL's search-parameter keys joined by `,`; default `''`. */
  searchKeys?: string
  /** [16] `navigator.hardwareConcurrency`, e.g. 8; keep it stable per account. */
  hardwareConcurrency: number
  /** [17] `performance.timeOrigin`: epoch ms (a float) when the page loaded. */
  timeOrigin: number
  /**
   * [18–24] `"ai" in window` and the presence of `createPRNG`, `cache`, `data`, `solana`, `dump`,
   * `InstallTrigger` as 0/1; default all 0 (a 1 at [24] would claim Firefox).
   */
  windowFlags?: readonly [number, number, number, number, number, number, number]
}

/** Chrome's `performance.memory.jsHeapSizeLimit` on 64-bit desktops (§4.3). */
export const CHROME_HEAP_SIZE_LIMIT = 4294705152

/** The 25-entry config for `environment`, with 0 in the entries each use overwrites (3 and 9). */
export function buildPowConfig(environment: PowEnvironment): PowConfig {
  const e = environment
  const [ai, createPRNG, cache, data, solana, dump, installTrigger] = e.windowFlags ?? [0, 0, 0, 0, 0, 0, 0]
  return [
    e.screenSum,
    e.dateString,
    e.heapSizeLimit ?? CHROME_HEAP_SIZE_LIMIT,
    0,
    e.userAgent,
    e.scriptSrc,
    e.build,
    e.language ?? 'en-US',
    e.languages ?? 'en-US,en',
    0,
    e.navigatorProbe,
    e.documentKey,
    e.windowKey,
    e.performanceNow,
    e.sessionId,
    e.searchKeys ?? '',
    e.hardwareConcurrency,
    e.timeOrigin,
    ai,
    createPRNG,
    cache,
    data,
    solana,
    dump,
    installTrigger
  ]
}
