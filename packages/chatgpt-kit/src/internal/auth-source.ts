/**
 * Where a client's access tokens come from: a session token that buys them (`auth-state.ts`), or
 * one access token given as is (`access-token-auth.ts`). The backend calls need nothing more.
 */
import type { ChatGPTError } from '../errors.js'
import type { User } from '../types.js'

export interface AuthSource {
  /** The signed-in user, once a session answer named one; `null` when nothing has. */
  readonly user: User | null
  /**
   * The ChatGPT account (workspace) id the last session answer named (`account.id`), if any:
   * protocol '2026' sends it as `ChatGPT-Account-Id`.
   */
  readonly accountId?: string
  /** False when there is nothing to get another access token from. */
  readonly canRefresh: boolean
  /**
   * A token to send.
   * @throws the signal's reason; a ChatGPTError when there is no usable token to be had.
   */
  accessToken(signal?: AbortSignal): Promise<string>
  /** The server refused `token` (`refusal`, a 401): it is not handed out again. */
  invalidate(token: string, refusal: ChatGPTError): void
}
