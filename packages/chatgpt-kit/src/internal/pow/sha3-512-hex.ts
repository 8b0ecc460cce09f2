/**
 * The hash of the legacy (2024) proof of work, kept as a documented fallback
 * (PROTOCOL-2026.md §4.2). `node:crypto` has had SHA3-512 since Node 12 (OpenSSL 1.1.1);
 * it is the one built-in the library's main entry may import.
 */
import { createHash } from 'node:crypto'

/** SHA3-512 of the UTF-8 bytes of `text`, as 128 lowercase hex digits. */
export function sha3_512Hex(text: string): string {
  return createHash('sha3-512').update(text, 'utf8').digest('hex')
}
