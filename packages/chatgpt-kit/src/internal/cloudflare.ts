/**
 * Recognising a Cloudflare challenge, so that callers are told what to do
 * instead of being shown an HTML page.
 */

/** Markers the challenge page carries; any one is enough, as Cloudflare rewrites the page often. */
const CHALLENGE_MARKERS = [
  '<title>Just a moment...</title>',
  'challenge-running',
  'cf-please-wait',
  '_cf_chl_opt',
  '/cdn-cgi/challenge-platform'
]

/** True when an answer is a Cloudflare challenge rather than the backend's own answer. */
export function isCloudflareChallenge(response: Response, body: string): boolean {
  if (response.headers.get('cf-mitigated') === 'challenge') return true
  if (response.status !== 403 && response.status !== 503) return false
  return hasChallengeMarkers(body)
}

/** True when a page carries the marks of a challenge page. */
export function hasChallengeMarkers(body: string): boolean {
  return CHALLENGE_MARKERS.some((marker) => body.includes(marker))
}

/** The message for a challenge: what happened and how to get past it. */
export const CLOUDFLARE_CHALLENGE_MESSAGE =
  'Cloudflare challenge: the clearance token (cf_clearance cookie) is missing, stale, or was issued ' +
  'to another IP or User-Agent. Get a fresh one from a browser on the same IP, and pass that ' +
  "browser's User-Agent as the userAgent option."
