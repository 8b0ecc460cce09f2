import { handleBootstrap } from './bootstrap-endpoint.js'
import { handleConduitPrepare } from './conduit-endpoint.js'
import type { ResolvedOptions } from './options.js'
import type { Route } from './router.js'
import { handleConduitSend, handleLegacySend2026 } from './send-2026-endpoint.js'
import { handleSentinelFinalize, handleSentinelPrepare, handleSentinelSingleStep } from './sentinel-endpoints.js'

/**
 * The routes 2026 mode adds, to be matched before the seed's: its send replaces
 * `POST /backend-api/conversation`. Endpoints switched off by an option are left out, so they
 * answer 404 `{detail: 'Not Found'}` as unknown paths do. In 2022 mode there are none.
 */
export function protocol2026Routes(options: ResolvedOptions): Route[] {
  if (options.protocol !== '2026') return []
  const routes: Route[] = [
    { method: 'GET', path: /^\/$/, handler: handleBootstrap },
    { method: 'POST', path: /^\/backend-api\/sentinel\/chat-requirements$/, handler: handleSentinelSingleStep },
    { method: 'POST', path: /^\/backend-api\/conversation$/, handler: handleLegacySend2026 }
  ]
  if (options.twoStepSentinel) {
    routes.push(
      { method: 'POST', path: /^\/backend-api\/sentinel\/chat-requirements\/prepare$/, handler: handleSentinelPrepare },
      { method: 'POST', path: /^\/backend-api\/sentinel\/chat-requirements\/finalize$/, handler: handleSentinelFinalize }
    )
  }
  if (options.conduitEndpoints) {
    routes.push(
      { method: 'POST', path: /^\/backend-api\/f\/conversation\/prepare$/, handler: handleConduitPrepare },
      { method: 'POST', path: /^\/backend-api\/f\/conversation$/, handler: handleConduitSend }
    )
  }
  return routes
}
