/**
 * The site a backend belongs to, for protocol '2026': its page (the bootstrap, PROTOCOL-2026.md
 * §2.1) and the `origin` / `referer` a page on it sends.
 */

/** What `backendApiBaseUrl` says of the site. */
export type Site = {
  /** The site's page: the base URL without its `/backend-api`, e.g. `https://chatgpt.com/`. */
  pageUrl: string
  /** The page's origin, e.g. `https://chatgpt.com` (the `origin` header of its requests). */
  origin: string
}

/**
 * The site of `backendApiBaseUrl` (already checked as an absolute http(s) URL, without a trailing
 * slash): `https://chatgpt.com/backend-api` → `https://chatgpt.com/`. A base that does not end in
 * `/backend-api` (a proxy's own path) keeps its path: its page is taken to be beside it.
 */
export function siteOf(backendApiBaseUrl: string): Site {
  const url = new URL(backendApiBaseUrl)
  const path = url.pathname.replace(/\/backend-api\/?$/, '')
  url.pathname = path.endsWith('/') ? path : `${path}/`
  url.search = ''
  url.hash = ''
  return { pageUrl: url.href, origin: url.origin }
}
