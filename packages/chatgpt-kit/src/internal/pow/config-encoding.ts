/**
 * How a config travels: compact JSON (`JSON.stringify`, as the browser; Python clients need
 * `separators=(",",":")`, `ensure_ascii=False`), then standard base64 over its UTF-8 bytes
 * (PROTOCOL-2026.md §4.3).
 */
import { Utf8Base64Writer, utf8Base64 } from './base64-utf8.js'
import type { PowConfig } from './pow-config.js'

/** `config` as JSON, base64'd from UTF-8. */
export function encodePowConfig(config: PowConfig): string {
  return utf8Base64(JSON.stringify(config))
}

/**
 * An encoder for the solver's hot loop, where only entries 3 (nonce) and 9 change: the JSON of
 * the other 23 is written once, and each attempt joins it with the two numbers. The result is
 * byte for byte what {@link encodePowConfig} gives for the config with those two entries set
 * (JSON writes an array as its elements' JSON joined by commas).
 */
export function powConfigEncoder(config: PowConfig): (nonce: number, entryNine: number) => string {
  const json = config.map((value) => JSON.stringify(value))
  const head = `[${json.slice(0, 3).join(',')},`
  const middle = `,${json.slice(4, 9).join(',')},`
  const tail = `,${json.slice(10).join(',')}]`
  const writer = new Utf8Base64Writer()
  return (nonce, entryNine) => writer.encode(head + JSON.stringify(nonce) + middle + JSON.stringify(entryNine) + tail)
}
