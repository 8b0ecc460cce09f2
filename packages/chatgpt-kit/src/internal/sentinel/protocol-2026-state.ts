/**
 * What one protocol '2026' client keeps across its turns: its device and browser, the site's page,
 * which endpoints the server lacks, the turnstile solver, and where the turns' tokens go to be
 * kept out of messages.
 */
import type { TurnstileSolver } from '../../types.js'
import type { Secrets } from '../secrets.js'
import type { Transport } from '../transport.js'
import { BootstrapCache } from './bootstrap.js'
import { type BrowserProfile, newBrowserProfile } from './browser-profile.js'
import { MissingEndpoints } from './missing-endpoints.js'
import type { Site } from './site-url.js'

export type Protocol2026Options = {
  deviceId: string
  userAgent: string
  site: Site
  backendApiBaseUrl: string
  turnstileSolver: TurnstileSolver | undefined
  transport: Transport
  secrets: Secrets
}

export class Protocol2026State {
  readonly deviceId: string
  readonly profile: BrowserProfile
  readonly bootstrap: BootstrapCache
  readonly missing = new MissingEndpoints()
  readonly turnstileSolver: TurnstileSolver | undefined
  readonly secrets: Secrets
  /** Config entry [5] when the page named no script: the sentinel SDK's own URL (§2.1). */
  readonly sdkUrl: string

  constructor(options: Protocol2026Options) {
    this.deviceId = options.deviceId
    this.profile = newBrowserProfile(options.userAgent)
    this.bootstrap = new BootstrapCache(options.transport, options.site.pageUrl)
    this.turnstileSolver = options.turnstileSolver
    this.secrets = options.secrets
    this.sdkUrl = `${options.backendApiBaseUrl}/sentinel/sdk.js`
  }
}
