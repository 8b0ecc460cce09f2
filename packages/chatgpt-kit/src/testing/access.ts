import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AccountRegistry } from './accounts.js'
import { sendDetail } from './http-io.js'
import type { TestUser } from './types.js'

/**
 * The account behind the request's `Authorization: Bearer` access token. Answers 401 itself
 * (`invalid_token` or `token_expired`) and returns `undefined` when there is none.
 */
export function requireUser(
  accounts: AccountRegistry,
  req: IncomingMessage,
  res: ServerResponse
): TestUser | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  const found = accounts.lookupAccessToken(match?.[1])
  if (found.kind === 'valid') return found.user
  if (found.kind === 'expired') {
    sendDetail(res, 401, 'Your authentication token has expired. Please try signing in again.', 'token_expired')
  } else {
    sendDetail(
      res,
      401,
      match ? 'Could not validate your authentication token. Please try signing in again.' : 'Missing authentication token.',
      'invalid_token'
    )
  }
  return undefined
}

/**
 * The account behind the request's access token, if it is a valid one, without answering
 * anything: faults aimed at one account are taken before the token is checked.
 */
export function peekUserId(accounts: AccountRegistry, req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
  const found = accounts.lookupAccessToken(match?.[1])
  return found.kind === 'valid' ? found.user.id : undefined
}
