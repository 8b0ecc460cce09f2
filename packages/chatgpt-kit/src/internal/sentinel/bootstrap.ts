/**
 * Step 1 of the 2026 send sequence (PROTOCOL-2026.md §2.1, §14): `GET` the site's page for the
 * build and scripts the proof-of-work config names, cached as the public clients cache it
 * (12 minutes, S8's `_POW_BOOTSTRAP_TTL_SECS`). The page is a help, not a gate: when it cannot be
 * had the turn goes on with the SDK's own fallbacks (no build, the sentinel SDK's URL).
 */
import { ChatGPTError } from '../../errors.js'
import { readText } from '../body-reader.js'
import type { CallSignal } from '../call-signal.js'
import type { ResponseHandler, Transport } from '../transport.js'
import { type BootstrapPage, EMPTY_PAGE, parseBootstrapPage } from './bootstrap-page.js'

/** How long a page read is used. */
export const BOOTSTRAP_TTL_MS = 12 * 60_000

/** The most of the page read: its `<head>`, where the build and scripts are, comes first. */
const MAX_PAGE_BYTES = 4 * 1024 * 1024

/** The page, as text: HTML is the answer wanted here. */
const sitePage: ResponseHandler<string> = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  what: "the site's page",
  accepts: () => true,
  html: true,
  async handle(_response, body) {
    // A cut page still has its head.
    return (await readText(body, MAX_PAGE_BYTES)).text
  }
}

/** The page of one client, loaded when missing or older than {@link BOOTSTRAP_TTL_MS}. */
export class BootstrapCache {
  #page: BootstrapPage | undefined
  #loadedAt = 0

  constructor(
    private readonly transport: Transport,
    private readonly pageUrl: string,
    private readonly now: () => number = Date.now
  ) {}

  /**
   * The page's build and scripts: cached, or loaded now under the call's signal.
   * @throws the call's abort reason; nothing else (a failed load gives {@link EMPTY_PAGE}).
   */
  async get(call: CallSignal): Promise<BootstrapPage> {
    if (this.#page && this.now() - this.#loadedAt < BOOTSTRAP_TTL_MS) return this.#page
    const page = await this.#load(call)
    this.#page = page
    this.#loadedAt = this.now()
    return page
  }

  /** Forgets the page: the next turn loads it again (after a bare 403 on the send, §13). */
  invalidate(): void {
    this.#page = undefined
  }

  async #load(call: CallSignal): Promise<BootstrapPage> {
    const { transport } = this
    try {
      const html = await transport.request(
        {
          method: 'GET',
          url: this.pageUrl,
          // No navigation's `sec-fetch-*`: Node's fetch sends `sec-fetch-mode: cors` whatever it
          // is told, and a navigation in cors mode is no browser's.
          signal: call.signal,
          attempt: 1,
          onAlive: () => call.touch()
        },
        sitePage
      )
      const page = parseBootstrapPage(html)
      transport.log(
        `bootstrap: page read (${page.build === null ? 'no build' : 'build found'}, ${page.scripts.length} script(s))`
      )
      return page
    } catch (error) {
      if (call.aborted) throw call.reason
      const why = error instanceof ChatGPTError ? error.code : 'failed'
      // Kept for the whole TTL: a site without the page must not cost a request per message.
      transport.log(`bootstrap: page not read (${why}); the proof of work goes on without its build and scripts`)
      return EMPTY_PAGE
    }
  }
}
