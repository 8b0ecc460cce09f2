/**
 * The `chatgpt` command signed in with an access token alone (`--access-token` or
 * `ACCESS_TOKEN`, no session token): it works without a session request, and once the token has
 * expired it exits 1 with one line that says to sign in again and shows no token. With a session
 * token as well, the access token is only the first one used, as before.
 */
import { describe, expect, it } from 'vitest'

import { defaultReply } from '../packages/chatgpt-kit/src/testing/index.js'
import { cliTestBackend, runCli, type Sandbox } from './helpers/cli.js'

const cli = cliTestBackend()

/** A sandbox with the backend's URL and clearance, and no session token anywhere. */
async function bare(): Promise<{ box: Sandbox; env: NodeJS.ProcessEnv }> {
  const box = await cli.sandbox()
  return { box, env: { ...box.env, CHATGPT_BASE_URL: cli.backend.url, CLEARANCE_TOKEN: cli.backend.clearanceToken } }
}

/** The requests made with `accessToken` as the bearer, and every session request of the backend. */
function requestsOf(accessToken: string) {
  return {
    withToken: cli.backend.requests.filter((r) => r.headers.authorization === `Bearer ${accessToken}`).map((r) => `${r.method} ${r.path}`),
    sessions: cli.backend.requests.filter((r) => r.path === '/api/auth/session').length
  }
}

describe('an access token alone', () => {
  it('ACCESS_TOKEN signs in: a one-shot message and `models` work, with no session request', async () => {
    const { box, env } = await bare()
    const accessToken = cli.backend.issueAccessToken({ sessionToken: cli.backend.addAccount().sessionToken })
    const sessionsBefore = requestsOf(accessToken).sessions
    const ask = await runCli(['hello', 'there'], { env: { ...env, ACCESS_TOKEN: accessToken }, cwd: box.cwd })
    expect(ask, ask.stderr).toMatchObject({ code: 0, stderr: '', stdout: defaultReply('hello there') + '\n' })
    const models = await runCli(['models', '--json'], { env: { ...env, ACCESS_TOKEN: accessToken }, cwd: box.cwd })
    expect(models.code, models.stderr).toBe(0)
    expect(Array.isArray(JSON.parse(models.stdout))).toBe(true)
    const seen = requestsOf(accessToken)
    // The new conversation is titled after its reply, as the command does for every one it starts.
    expect(seen.withToken).toEqual(['POST /backend-api/conversation', expect.stringMatching(/^POST \/backend-api\/conversation\/gen_title\//), 'GET /backend-api/models'])
    expect(seen.sessions).toBe(sessionsBefore)
  })

  it('--access-token signs in the same way', async () => {
    const { box, env } = await bare()
    const accessToken = cli.backend.issueAccessToken({ sessionToken: cli.backend.addAccount().sessionToken })
    const result = await runCli(['--access-token', accessToken, 'from a flag'], { env, cwd: box.cwd })
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: defaultReply('from a flag') + '\n' })
    expect(requestsOf(accessToken).withToken).toEqual(['POST /backend-api/conversation', expect.stringMatching(/^POST \/backend-api\/conversation\/gen_title\//)])
  })

  it('an expired one (past its exp): exit 1, one line saying to sign in again, no token, nothing sent', async () => {
    const { box, env } = await bare()
    const accessToken = cli.backend.issueAccessToken({ sessionToken: cli.backend.addAccount().sessionToken, expiresInSeconds: -60 })
    const result = await runCli(['hi'], { env: { ...env, ACCESS_TOKEN: accessToken }, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/access token expired at .*cannot be refreshed: sign in again/)
    expect(result.stderr).not.toContain(accessToken)
    expect(requestsOf(accessToken).withToken).toEqual([])
  })

  it('one the server refuses (401): exit 1 with the same advice, after one request', async () => {
    const { box, env } = await bare()
    const accessToken = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.refused-by-the-backend'
    const result = await runCli(['hi'], { env: { ...env, ACCESS_TOKEN: accessToken }, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/refused the access token \(HTTP 401\).*cannot be refreshed/)
    expect(result.stderr).not.toContain(accessToken)
    expect(requestsOf(accessToken).withToken).toEqual(['POST /backend-api/conversation'])
  })
})

describe('with a session token as well (as before)', () => {
  it('a stale ACCESS_TOKEN is replaced through the session, and the message goes through', async () => {
    const { box, env } = await bare()
    const account = cli.backend.addAccount()
    const stale = cli.backend.issueAccessToken({ sessionToken: account.sessionToken, expiresInSeconds: -60 })
    const sessionsBefore = requestsOf(stale).sessions
    const result = await runCli(['still works'], { env: { ...env, SESSION_TOKEN: account.sessionToken, ACCESS_TOKEN: stale }, cwd: box.cwd })
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: defaultReply('still works') + '\n' })
    // The stale token was tried once, then the session gave a fresh one.
    expect(requestsOf(stale).withToken).toEqual(['POST /backend-api/conversation'])
    expect(requestsOf(stale).sessions).toBe(sessionsBefore + 1)
  })
})
