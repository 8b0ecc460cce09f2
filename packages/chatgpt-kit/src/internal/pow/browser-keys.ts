/**
 * Config entries [10]–[12]: the browser SDK picks a random navigator key (with its value), a
 * random key of `document` and one of `window`. Only values PROTOCOL-2026.md §4.3 reports seeing
 * are offered here; the full key lists of a real Chrome page were not in the sources, so the
 * choice is narrow on purpose (⚠ whether the server looks at these at all is unknown).
 */

/**
 * U+2212 MINUS SIGN, not '-': the SDK joins key and value with it, and it is 3 bytes in UTF-8,
 * which is why the config is base64'd from UTF-8 and not from a byte string.
 */
export const NAVIGATOR_PROBE_SEPARATOR = '\u2212'

const NAVIGATOR_PROBES = [`webdriver${NAVIGATOR_PROBE_SEPARATOR}false`]
const WINDOW_KEYS = ['onresize', '__oai_SSR_TTI']
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz'

/** Picks for config entries [10], [11] and [12]. */
export type BrowserKeys = { navigatorProbe: string; documentKey: string; windowKey: string }

/**
 * One random pick of each, from `random` (a `Math.random`-like source, injected so tests and the
 * caller decide). React marks the root with `_reactListening` + 10 base36 characters.
 */
export function pickBrowserKeys(random: () => number = Math.random): BrowserKeys {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length) % list.length]!
  const reactListening = `_reactListening${Array.from({ length: 10 }, () => pick([...BASE36])).join('')}`
  return {
    navigatorProbe: pick(NAVIGATOR_PROBES),
    documentKey: pick(['location', reactListening]),
    windowKey: pick(WINDOW_KEYS)
  }
}
