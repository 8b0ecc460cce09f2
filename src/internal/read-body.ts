/**
 * Reading a (non-stream) body with a bound, because an error page or a misrouted answer can be
 * arbitrarily large.
 */

/** The most we read of a body that we only need for an error message or a small JSON answer. */
export const MAX_SMALL_BODY_BYTES = 1024 * 1024

/**
 * Reads at most `limit` bytes of the body as UTF-8 text and cancels the rest.
 * Returns `truncated: true` when the body was longer.
 */
export async function readBodyText(
  response: Response,
  limit = MAX_SMALL_BODY_BYTES
): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false }
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const room = limit - bytes
      if (value.byteLength > room) {
        text += decoder.decode(value.subarray(0, room), { stream: true })
        await reader.cancel().catch(() => {})
        return { text: text + decoder.decode(), truncated: true }
      }
      bytes += value.byteLength
      text += decoder.decode(value, { stream: true })
    }
  } finally {
    reader.releaseLock()
  }
  return { text: text + decoder.decode(), truncated: false }
}
