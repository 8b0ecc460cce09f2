/**
 * A copy of an answer's status and headers, without its body, for an error to keep: what the
 * caller may inspect, after each header has been vetted.
 */

/**
 * @param header - Each header's value as kept, or `undefined` to leave the header out.
 * @param statusText - The status text as kept.
 * @returns The copy, or `undefined` for a status the Response constructor refuses (1xx, 600…):
 *   the error's own fields say enough then.
 */
export function responseHead(
  response: Response,
  statusText: string,
  header: (name: string, value: string) => string | undefined
): Response | undefined {
  const headers = new Headers()
  for (const [name, value] of response.headers) {
    const kept = header(name, value)
    if (kept !== undefined) headers.append(name, kept)
  }
  try {
    return new Response(null, { status: response.status, statusText, headers })
  } catch {
    return undefined
  }
}
