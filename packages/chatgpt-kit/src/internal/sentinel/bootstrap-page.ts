/**
 * What a client reads from the site's page (PROTOCOL-2026.md §2.1, §4.3): the build and the
 * script URLs that go into the proof-of-work config. Pure: the page is parsed, never run.
 */

/** What the page told. */
export type BootstrapPage = {
  /**
   * Config entry [6]: the first script URL's `c/<id>/_` (the whole match, as the browser SDK's
   * `src.match('c/[^/]*\/_')[0]`), else `<html data-build>` (`prod-<sha>`); `null` when neither.
   */
  build: string | null
  /** The page's `<script src>` values, in order (config entry [5] is one of them). */
  scripts: string[]
}

/** A page without anything to read: what a client goes on with when the page cannot be had. */
export const EMPTY_PAGE: BootstrapPage = Object.freeze({ build: null, scripts: [] }) as BootstrapPage

/** Enough for any real page's `<head>`; the rest is never needed. */
export const MAX_SCRIPTS = 200

const SCRIPT_SRC = /<script\b[^>]*?\ssrc\s*=\s*["']([^"']+)["']/gi
const HTML_BUILD = /<html\b[^>]*?\sdata-build\s*=\s*["']([^"']*)["']/i
const SCRIPT_BUILD = /c\/[^/]*\/_/
// A value that goes into JSON and a header-free config: printable, and not absurdly long.
const PLAIN = /^[\x20-\x7e]{1,2048}$/

/** The build and scripts of `html`; anything unreadable is left out rather than guessed. */
export function parseBootstrapPage(html: string): BootstrapPage {
  const scripts: string[] = []
  for (const match of html.matchAll(SCRIPT_SRC)) {
    const src = decodeAttribute(match[1]!)
    if (PLAIN.test(src)) scripts.push(src)
    if (scripts.length >= MAX_SCRIPTS) break
  }
  const fromScript = scripts.map((src) => SCRIPT_BUILD.exec(src)?.[0]).find((build) => build !== undefined)
  const fromHtml = HTML_BUILD.exec(html)?.[1]
  const build = fromScript ?? (fromHtml !== undefined && PLAIN.test(fromHtml) ? fromHtml : null)
  return { build, scripts }
}

/** `&amp;` and friends, as a browser reads an attribute (script URLs carry `&amp;` in queries). */
function decodeAttribute(value: string): string {
  return value.replace(/&(amp|quot|#39|lt|gt);/g, (_, name: string) => ENTITIES[name]!)
}

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' }
