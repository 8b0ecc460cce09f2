/**
 * The errors of today's web backend (PROTOCOL-2026.md §13): the server's own bot checks
 * (`bot_detected`, not a Cloudflare challenge), a model's cap (`rate_limited` with the model and
 * when it clears; a pool cools only that model on that account), and the 2026 wording of an
 * access token that no longer parses (`token_expired`, refreshed once).
 */
import { inspect } from 'node:util'

import { describe, expect, it } from 'vitest'

import { rejectionOf, setup } from './helpers/backend.js'
import { poolSetup } from './helpers/pool.js'

const UNUSUAL = 'Unusual activity has been detected from your device. Try again later. (8f3a2b1c0d9e8f7a-FRA)'
const CAP = { message: 'You have sent too many messages to the model. Please try again later.', code: 'model_cap_exceeded', clears_in: 252 }

describe('2026 errors', () => {
  it('reads 403 "Unusual activity" without cf-mitigated as bot_detected, not a Cloudflare challenge', async () => {
    const { api, backend } = await setup({ reply: () => 'ok' })
    backend.fault({ type: 'status', status: 403, body: { detail: UNUSUAL } })
    const error = await rejectionOf(api.sendMessage('hi'))
    expect(error).toMatchObject({ code: 'bot_detected', statusCode: 403 })
    expect(error.message).toContain('Unusual activity')
    // A challenge page stays a challenge, and another 403 stays forbidden.
    backend.fault({ type: 'cloudflare' })
    expect((await rejectionOf(api.sendMessage('hi'))).code).toBe('cloudflare_challenge')
    backend.fault({ type: 'status', status: 403, body: { detail: 'You do not have access to this feature' } })
    expect((await rejectionOf(api.sendMessage('hi'))).code).toBe('forbidden')
  })

  it('reads 429 model_cap_exceeded as rate_limited with the model and clears_in, without sleeping minutes', async () => {
    const { api, backend } = await setup({ reply: () => 'ok' })
    backend.fault({ type: 'status', status: 429, body: { detail: CAP } })
    const error = await rejectionOf(api.sendMessage('hi', { model: 'gpt-4o' }))
    expect(error).toMatchObject({ code: 'rate_limited', model: 'gpt-4o', retryAfterMs: 252_000 })
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ model: 'gpt-4o' })
    expect(inspect(error)).toContain('gpt-4o')
    expect(backend.requests.filter((r) => r.path === '/backend-api/conversation')).toHaveLength(1)
  })

  it('cools only that model on that account in a pool; other models still go there', async () => {
    const { pool, backend, accounts, ownerOf } = await poolSetup(2, { reply: () => 'ok' })
    backend.fault({ type: 'status', status: 429, body: { detail: CAP }, userId: accounts.a!.user.id })
    const moved = await pool.sendMessageDetailed('hi', { model: 'gpt-4o' })
    expect(ownerOf(moved.conversationId)).toBe('b')
    const a = pool.status().accounts.find((account) => account.id === 'a')!
    expect(a.cooldowns.map((cooldown) => cooldown.model)).toEqual(['gpt-4o'])
    // 'a' is the least recently used, and only gpt-4o is cooling there: gpt-4 goes to 'a'.
    const other = await pool.sendMessageDetailed('hi', { model: 'gpt-4' })
    expect(ownerOf(other.conversationId)).toBe('a')
  })

  it('refreshes an access token that "could not be parsed" once, and goes on', async () => {
    const { api, backend } = await setup({ reply: () => 'ok' })
    await api.sendMessage('warm up')
    backend.fault({ type: 'status', status: 401, body: { detail: 'Could not parse your authentication token. Please try signing in again.' } })
    expect(await api.sendMessage('hi')).toBe('ok')
    const sessions = backend.requests.filter((r) => r.path === '/api/auth/session')
    expect(sessions).toHaveLength(2)
  })
})
