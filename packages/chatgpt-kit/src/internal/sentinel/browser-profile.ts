/**
 * The browser a protocol '2026' client presents in its proof-of-work config (PROTOCOL-2026.md
 * §4.3): what a real page keeps for its life (screen, cores, the SDK's session id, when the page
 * loaded, the timezone) is picked once per client and kept; what changes per turn (the date, the
 * probes, the script) is picked per config. S8 keeps screen, cores and session id stable per
 * account; a config that changes its screen every message looks like no browser.
 */
import { randomUUID } from 'node:crypto'

import { browserDateString } from '../pow/browser-date.js'
import { pickBrowserKeys } from '../pow/browser-keys.js'
import { buildPowConfig, type PowConfig } from '../pow/pow-config.js'
import type { BootstrapPage } from './bootstrap-page.js'

/** `screen.width + screen.height` of common desktop screens: 1920×1080, 2560×1440, 3440×1440. */
const SCREEN_SUMS = [3000, 4000, 4880] as const
/** `navigator.hardwareConcurrency` values seen in the sources' configs. */
const CORE_COUNTS = [8, 16, 20, 24, 32] as const

/** What stays the same across one client's turns. */
export type BrowserProfile = {
  userAgent: string
  screenSum: number
  hardwareConcurrency: number
  /** Config entry [14]: the SDK's `crypto.randomUUID()`, made once per page. */
  sessionId: string
  /** Config entry [17]: `performance.timeOrigin`, epoch ms when the "page" loaded (the client was made). */
  timeOrigin: number
  /**
   * The IANA zone of config entry [1] and of the body's `timezone`: the process's own, so that
   * both agree with the body's `timezone_offset_min` (`Date#getTimezoneOffset`).
   */
  timeZone: string
}

/** A new profile for a client that sends `userAgent`. */
export function newBrowserProfile(userAgent: string, random: () => number = Math.random): BrowserProfile {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length) % list.length]!
  return {
    userAgent,
    screenSum: pick(SCREEN_SUMS),
    hardwareConcurrency: pick(CORE_COUNTS),
    sessionId: randomUUID(),
    timeOrigin: Date.now(),
    timeZone: processTimeZone()
  }
}

/**
 * The config of one turn: the profile, the page's build and one of its scripts (the sentinel
 * SDK's URL when the page had none, as the SDK falls back to it), fresh probes and dates.
 */
export function turnConfig(
  profile: BrowserProfile,
  page: BootstrapPage,
  sdkUrl: string,
  now: number = Date.now(),
  random: () => number = Math.random
): PowConfig {
  const scripts = page.scripts.length > 0 ? page.scripts : [sdkUrl]
  return buildPowConfig({
    screenSum: profile.screenSum,
    dateString: browserDateString(new Date(now), profile.timeZone),
    userAgent: profile.userAgent,
    scriptSrc: scripts[Math.floor(random() * scripts.length) % scripts.length]!,
    build: page.build,
    ...pickBrowserKeys(random),
    // A float like the browser's `performance.now()`: ms since the page loaded.
    performanceNow: Math.max(0, now - profile.timeOrigin) + Math.round(random() * 1000) / 1000,
    sessionId: profile.sessionId,
    hardwareConcurrency: profile.hardwareConcurrency,
    timeOrigin: profile.timeOrigin
  })
}

/** The process's IANA zone; `'UTC'` on a runtime that does not say. */
function processTimeZone(): string {
  try {
    const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone
    // Checked by use: browserDateString must be able to format for it.
    if (zone) {
      browserDateString(new Date(), zone)
      return zone
    }
  } catch {
    // An exotic runtime zone Intl cannot format for: UTC is at least consistent.
  }
  return 'UTC'
}

/**
 * `Date#getTimezoneOffset()` as a browser in `timeZone` answers it at `at`: minutes to add to
 * local time for UTC (UTC+9 → -540), what the body's `timezone_offset_min` holds (§5, §6).
 */
export function timezoneOffsetMin(timeZone: string, at: Date = new Date()): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name ?? '')
  if (!match) return 0
  const minutes = Number(match[2]) * 60 + Number(match[3])
  return match[1] === '+' ? -minutes : minutes
}
