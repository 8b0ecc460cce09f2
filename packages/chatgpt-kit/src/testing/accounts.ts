import { createHash, randomBytes } from 'node:crypto'
import type { TestAccount, TestUser } from './types.js'

type SessionState = 'valid' | 'expired' | 'revoked'

/** What a session token stands for. */
export type SessionLookup =
  | { kind: 'valid'; user: TestUser }
  | { kind: 'expired'; user: TestUser }
  | { kind: 'unknown' }

/** What an access token stands for. */
export type AccessTokenLookup =
  | { kind: 'valid'; user: TestUser }
  | { kind: 'expired' }
  | { kind: 'invalid' }

interface AccessTokenRecord {
  userId: string
  expiresAt: number
  expired: boolean
}

/**
 * Accounts and the two kinds of credentials that reach them: long-lived session tokens (the
 * NextAuth cookie) and short-lived access tokens (the bearer JWT `/api/auth/session` hands out).
 * Access tokens live on their own once issued, as real JWTs do: revoking a session does not
 * revoke them.
 */
export class AccountRegistry {
  readonly #users = new Map<string, TestUser>()
  readonly #sessions = new Map<string, { userId: string; state: SessionState }>()
  readonly #accessTokens = new Map<string, AccessTokenRecord>()

  constructor(private readonly accessTokenTTLSeconds: number) {}

  /** Creates an account and its first session token. */
  create(opts: { name?: string; email?: string } = {}): TestAccount {
    const n = this.#users.size + 1
    const name = opts.name ?? (n === 1 ? 'Test User' : `Test User ${n}`)
    const email = opts.email ?? (n === 1 ? 'test@example.com' : `test${n}@example.com`)
    const avatar = `https://s.gravatar.com/avatar/${createHash('md5').update(email).digest('hex')}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Ftu.png`
    const user: TestUser = {
      id: `user-${randomBytes(18).toString('base64url')}`,
      name,
      email,
      image: avatar,
      picture: avatar,
      groups: [],
      features: []
    }
    this.#users.set(user.id, user)
    return { sessionToken: this.issueSessionToken(user.id), user: structuredClone(user) }
  }

  /** A new valid session token for an existing account. */
  issueSessionToken(userId: string): string {
    // Real tokens are NextAuth JWEs: `<header>..<iv>.<ciphertext>.<tag>`.
    const token = `eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..${randomBytes(12).toString('base64url')}.${randomBytes(120).toString('base64url')}.${randomBytes(16).toString('base64url')}`
    this.#sessions.set(token, { userId, state: 'valid' })
    return token
  }

  lookupSession(token: string | undefined): SessionLookup {
    const session = token === undefined ? undefined : this.#sessions.get(token)
    const user = session && this.#users.get(session.userId)
    if (!session || !user || session.state === 'revoked') return { kind: 'unknown' }
    return { kind: session.state, user }
  }

  /** Unknown tokens are ignored: they already answer as invalid. */
  expireSession(token: string): void {
    const session = this.#sessions.get(token)
    if (session && session.state === 'valid') session.state = 'expired'
  }

  revokeSession(token: string): void {
    const session = this.#sessions.get(token)
    if (session) session.state = 'revoked'
  }

  /** A fresh access token, unique per call; `ttlSeconds` below 0 makes one already expired. */
  issueAccessToken(user: TestUser, ttlSeconds = this.accessTokenTTLSeconds): { token: string; expiresAt: number } {
    const expiresAt = Date.now() + ttlSeconds * 1000
    const token = makeJwt(user, expiresAt)
    this.#accessTokens.set(token, { userId: user.id, expiresAt, expired: false })
    return { token, expiresAt }
  }

  /** A token that already answers `token_expired`: what an errored session still carries. */
  issueStaleAccessToken(user: TestUser): string {
    const token = makeJwt(user, Date.now())
    this.#accessTokens.set(token, { userId: user.id, expiresAt: Date.now(), expired: true })
    return token
  }

  lookupAccessToken(token: string | undefined): AccessTokenLookup {
    const record = token === undefined ? undefined : this.#accessTokens.get(token)
    const user = record && this.#users.get(record.userId)
    if (!record || !user) return { kind: 'invalid' }
    if (record.expired || Date.now() >= record.expiresAt) return { kind: 'expired' }
    return { kind: 'valid', user }
  }

  expireAccessTokens(): void {
    for (const record of this.#accessTokens.values()) record.expired = true
  }
}

// Shaped like OpenAI's RS256 access tokens so clients that peek into the payload (for `exp`)
// work; the signature is random because nothing verifies it but this registry.
function makeJwt(user: TestUser, expiresAt: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const iat = Math.floor(Date.now() / 1000)
  const payload = {
    'https://api.openai.com/profile': { email: user.email, email_verified: true },
    'https://api.openai.com/auth': { user_id: user.id },
    iss: 'https://auth0.openai.com/',
    sub: `auth0|${user.id.slice(5)}`,
    aud: ['https://api.openai.com/v1', 'https://openai.openai.auth0app.com/userinfo'],
    iat,
    exp: Math.floor(expiresAt / 1000),
    azp: 'TdJIcbe16WoTHtN95nyywh5E4yOo6ItG',
    scope: 'openid email profile model.read model.request organization.read offline_access',
    jti: randomBytes(12).toString('hex')
  }
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'MjhDNDQ1NDE' })}.${part(payload)}.${randomBytes(64).toString('base64url')}`
}
