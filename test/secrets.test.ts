import { describe, expect, it } from 'vitest'

import type { Fault } from '../packages/chatgpt-kit/src/testing/index.js'
import { setup } from './helpers/backend.js'

/** Everything an error can show a log: message, toString, JSON, stack, and what it wraps. */
function renderings(error: any): string[] {
  return [
    String(error?.message),
    String(error),
    JSON.stringify(error),
    String(error?.stack),
    String(error?.originalError?.message),
    String(error?.originalError?.stack)
  ]
}

describe('secrets never leak', () => {
  it('no token, cookie or Authorization value appears in any error or debug line of the fault suite', async () => {
    const lines: string[] = []
    const issuedAccessTokens: string[] = []
    // Every access token the server hands out is a secret too, not only the first.
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (String(input).endsWith('/auth/session')) {
        const session = await response.clone().json().catch(() => ({}))
        if (session?.accessToken) issuedAccessTokens.push(session.accessToken)
      }
      return response
    }
    const { backend, api } = await setup({}, { debug: (line) => lines.push(line), idleTimeoutMs: 300, maxRetries: 1, fetch: recordingFetch })
    const accessToken = await api.ensureAuth()

    const hostileEcho = `token ${backend.sessionToken} cookie cf_clearance=${backend.clearanceToken} auth Bearer ${accessToken}`
    const faults: Fault[] = [
      { type: 'status', status: 400, body: { detail: hostileEcho } },
      { type: 'status', status: 429, body: { detail: { message: hostileEcho, code: 'x' } }, headers: { 'retry-after': '999' } },
      { type: 'status', status: 500, body: hostileEcho, headers: { 'retry-after-ms': '1' } },
      { type: 'json', body: { detail: hostileEcho } },
      { type: 'html' },
      { type: 'cloudflare' },
      { type: 'stall', afterEvents: 1 },
      { type: 'reset', afterEvents: 1 },
      { type: 'cut', afterEvents: 1 },
      { type: 'stream-error', error: hostileEcho },
      { type: 'detail-event', detail: hostileEcho },
      { endpoint: 'session', type: 'stream-error', error: hostileEcho },
      { endpoint: 'session', type: 'status', status: 502, body: hostileEcho }
    ]
    const errors: unknown[] = []
    for (const fault of faults) {
      backend.fault(fault)
      // a fresh token each time, so that session faults are reached
      if (fault.endpoint === 'session') backend.expireAccessTokens()
      try {
        await api.sendMessage('Hi', { maxRetries: 0 })
      } catch (error) {
        errors.push(error)
      }
    }
    backend.expireSession(backend.sessionToken)
    backend.expireAccessTokens()
    try {
      await api.sendMessage('Hi')
    } catch (error) {
      errors.push(error)
    }

    const secrets = [backend.sessionToken, backend.clearanceToken, ...issuedAccessTokens]
    expect(issuedAccessTokens.length).toBeGreaterThan(1)
    expect(errors.length).toBeGreaterThanOrEqual(faults.length)
    const everything = [...errors.flatMap(renderings), ...lines].join('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const secret of secrets) expect(everything).not.toContain(secret)
    // The echoed text itself did reach the messages, redacted: the redaction is what kept it out.
    expect(everything).toContain('[redacted]')
  })
})
