/**
 * Keeping secrets out of messages. Anything built from network input goes through here, since a
 * hostile or buggy server may echo a token back.
 */

const REDACTED = '[redacted]'

/** Replaces every occurrence of each secret (of a plausible length) with `[redacted]`. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let result = text
  for (const secret of secrets) {
    // Very short values would redact ordinary words and protect nothing.
    if (secret && secret.length >= 8 && result.includes(secret)) {
      result = result.split(secret).join(REDACTED)
    }
  }
  return result
}

/**
 * Makes server-provided text fit for a one-line message: control characters become spaces and
 * the length is capped, so a hostile body cannot flood a log.
 */
export function sanitizeServerText(text: string, maxLength = 300): string {
  // eslint-disable-next-line no-control-regex
  const oneLine = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  return oneLine.length > maxLength ? `${oneLine.slice(0, maxLength)}…` : oneLine
}
