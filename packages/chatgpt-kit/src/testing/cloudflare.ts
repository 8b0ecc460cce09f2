import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseCookies, sendText } from './http-io.js'

/**
 * The Cloudflare layer in front of the backend: a `cf_clearance` cookie is valid only with the
 * User-Agent it was issued to, and only until it is rotated.
 */
export class ClearanceGate {
  #token = newClearanceToken()

  constructor(readonly userAgent: string) {}

  /** The currently valid `cf_clearance` value. */
  get token(): string {
    return this.#token
  }

  /** Makes the current clearance stale and returns its replacement. */
  rotate(): string {
    this.#token = newClearanceToken()
    return this.#token
  }

  /** Whether the request carries the valid clearance from the bound User-Agent. */
  admits(req: IncomingMessage): boolean {
    return (
      parseCookies(req.headers.cookie).get('cf_clearance') === this.#token &&
      req.headers['user-agent'] === this.userAgent
    )
  }
}

// Real values look like `<43 chars>-<unix time>-0-1-<hex>.<hex>.<hex>-160.0.0`; matching the
// form keeps clients' cookie handling honest (dashes, dots, digits).
function newClearanceToken(): string {
  const hex = () => randomBytes(4).toString('hex')
  return `${randomBytes(32).toString('base64url')}-${Math.floor(Date.now() / 1000)}-0-1-${hex()}.${hex()}.${hex()}-160.0.0`
}

/** Answers with Cloudflare's 403 "Just a moment..." managed-challenge page. */
export function sendChallenge(res: ServerResponse): void {
  const ray = randomBytes(8).toString('hex')
  sendText(res, 403, challengePage(ray), {
    'content-type': 'text/html; charset=UTF-8',
    'cf-mitigated': 'challenge',
    server: 'cloudflare',
    'cf-ray': `${ray}-SJC`,
    'cache-control': 'private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0',
    expires: 'Thu, 01 Jan 1970 00:00:01 GMT',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'SAMEORIGIN',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin'
  })
}

// Trimmed from a real 2023 challenge page: it keeps every marker clients look for
// (title, challenge-running, cf-please-wait, _cf_chl_opt, /cdn-cgi/challenge-platform).
function challengePage(ray: string): string {
  const nonce = randomBytes(6).toString('hex')
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
  <title>Just a moment...</title>
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
  <meta http-equiv="X-UA-Compatible" content="IE=Edge">
  <meta name="robots" content="noindex,nofollow">
  <meta name="viewport" content="width=device-width,initial-scale=1">
  <link href="/cdn-cgi/styles/challenges.css" rel="stylesheet">
</head>
<body class="no-js">
  <div class="main-wrapper" role="main">
    <div class="main-content">
      <h1 class="zone-name-title h1">chat.openai.com</h1>
      <h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
      <div id="cf-please-wait"><div id="spinner"><div id="cf-bubbles"><div class="bubble"></div><div class="bubble"></div><div class="bubble"></div></div></div><p data-translate="please_wait" id="cf-spinner-please-wait">Please stand by, while we are checking your browser...</p></div>
      <noscript><div id="challenge-error-title"><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></div></noscript>
      <div id="trk_jschal_js" style="display:none;background-image:url('/cdn-cgi/images/trace/managed/nojs/transparent.gif?ray=${ray}')"></div>
      <div id="challenge-body-text" class="core-msg spacer">chat.openai.com needs to review the security of your connection before proceeding.</div>
      <form id="challenge-form" action="/api/auth/session?__cf_chl_f_tk=${nonce}" method="POST" enctype="application/x-www-form-urlencoded">
        <input type="hidden" name="md" value="${randomBytes(24).toString('base64url')}">
      </form>
    </div>
  </div>
  <script>
    (function(){window._cf_chl_opt={cvId: '2',cZone: 'chat.openai.com',cType: 'managed',cNounce: '${nonce}',cRay: '${ray}',cHash: '${randomBytes(8).toString('hex')}',cFPWv: 'b',cTTimeMs: '1000',cMTimeMs: '0',cTplV: 5,cTplB: 'cf',cRq: {ru: 'aHR0cHM6Ly9jaGF0Lm9wZW5haS5jb20vYXBpL2F1dGgvc2Vzc2lvbg==',ra: 'TW96aWxsYS81LjA=',rm: 'R0VU',d: '${randomBytes(24).toString('base64')}'}};var cpo = document.createElement('script');cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/managed/v1?ray=${ray}';window._cf_chl_opt.cOgUHash = location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;document.getElementsByTagName('head')[0].appendChild(cpo);}());
  </script>
  <div class="footer" role="contentinfo">
    <div class="footer-inner">
      <div class="clearfix diagnostic-wrapper"><div class="ray-id">Ray ID: <code>${ray}</code></div></div>
      <div class="text-center" id="footer-text">Performance &amp; security by <a rel="noopener noreferrer" href="https://www.cloudflare.com?utm_source=challenge&amp;utm_campaign=m" target="_blank">Cloudflare</a></div>
    </div>
  </div>
</body>
</html>
`
}
