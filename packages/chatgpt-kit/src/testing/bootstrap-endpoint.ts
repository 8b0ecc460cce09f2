import { randomBytes } from 'node:crypto'
import type { BackendContext, Exchange } from './context.js'
import { parseCookies, sendText } from './http-io.js'

/** A year, as the real `oai-did` cookie lives. */
const DEVICE_COOKIE_SECONDS = 365 * 24 * 3600

/**
 * `GET /` in 2026 mode: the bootstrap page (PROTOCOL-2026.md §2.1). Clients read its
 * `data-build` and `<script src>` values for the headers and the proof config, and keep its
 * cookies: `oai-did` is the device id they then send as `oai-device-id`. A request that already
 * has an `oai-did` keeps it, as a browser's would; `__cf_bm` (Cloudflare's bot cookie) is
 * refreshed every time and checked nowhere, so a client's jar holds more than one cookie.
 */
export function handleBootstrap(ctx: BackendContext, ex: Exchange): void {
  const state = ctx.protocol2026
  const cookies: string[] = []
  if (!parseCookies(ex.req.headers.cookie).has('oai-did')) {
    cookies.push(`oai-did=${state.issueDeviceId()}; Path=/; Max-Age=${DEVICE_COOKIE_SECONDS}; SameSite=Lax`)
  }
  cookies.push(`__cf_bm=${randomBytes(32).toString('base64url')}; Path=/; Max-Age=1800; HttpOnly; SameSite=None; Secure`)
  const html = bootstrapPage(state.build, ctx.options.bootstrapScripts)
  ex.res.setHeader('set-cookie', cookies)
  sendText(ex.res, 200, html, { 'content-type': 'text/html; charset=utf-8' })
}

// Trimmed to what clients parse: the build on <html>, and script tags written two ways (with
// attributes before and after src), as a page with a nonce'd inline loader has them.
function bootstrapPage(build: string, scripts: readonly string[]): string {
  const nonce = randomBytes(12).toString('base64')
  const tags = scripts.map((src, i) =>
    i % 2 === 0 ? `<script src="${src}" async=""></script>` : `<script nonce="${nonce}" type="module" src="${src}"></script>`
  )
  return `<!DOCTYPE html>
<html lang="en-US" data-build="${build}" dir="ltr" class="">
<head>
<meta charSet="UTF-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>ChatGPT</title>
${tags.join('\n')}
</head>
<body class="antialiased"><div id="root"></div></body>
</html>
`
}
