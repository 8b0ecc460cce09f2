/**
 * The hash of the current (2025-09 → 2026) proof of work: 32-bit FNV-1a followed by the
 * murmur3 finalizer ("fmix32"), as the browser's sentinel SDK computes it (PROTOCOL-2026.md §4.1).
 */

const FNV_OFFSET_BASIS = 2166136261
const FNV_PRIME = 16777619

/**
 * FNV-1a-32 of `text`, mixed by murmur3's finalizer, as 8 lowercase hex digits.
 *
 * The input is taken one UTF-16 code unit at a time (`charCodeAt`), exactly as the browser does.
 * The proof of work only ever hashes ASCII (the server's seed + base64), where a code unit is a
 * byte; for other text this is what the browser computes, not FNV over UTF-8.
 *
 * @example fnv1a32Fmix('hello') === '888d766e'
 */
export function fnv1a32Fmix(text: string): string {
  let hash = FNV_OFFSET_BASIS
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, FNV_PRIME) >>> 0
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 2246822507) >>> 0
  hash ^= hash >>> 13
  hash = Math.imul(hash, 3266489909) >>> 0
  hash ^= hash >>> 16
  return (hash >>> 0).toString(16).padStart(8, '0')
}
