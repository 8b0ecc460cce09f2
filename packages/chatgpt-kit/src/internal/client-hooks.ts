/**
 * What the library's own classes need of a client beyond its public API: a conversation streams
 * through it, and the account pool watches its sign-ins. Each client registers its hooks when it
 * is built (so that its state stays `#private`); users never see them.
 */
import { ChatGPTError } from '../errors.js'
import type { ChatGPTReply, SendMessageOptions } from '../types.js'

/**
 * Observes every change of a reply's text as the caller sees it, with the reply's ids as known so
 * far and, when known, what the text appended to the previous one.
 */
export type UpdateObserver = (
  text: string,
  ids: { messageId?: string; conversationId?: string },
  appended?: string
) => void

/** A sign-in starting (`refreshing: true`) or ending, with its error when it failed. */
export type AuthEvent = { refreshing: true } | { refreshing: false; error?: unknown }

export type ClientHooks = {
  /** Sends a plain message and reports every update of its text. */
  sendWithUpdates(message: string, opts: SendMessageOptions, onUpdate: UpdateObserver): Promise<ChatGPTReply>
  /** Whether replies are plain text converted from markdown (`markdown: false`). */
  readonly plainText: boolean
  /** Calls `listener` when a sign-in (access token refresh) starts and ends; returns an unsubscribe. */
  observeAuth?(listener: (event: AuthEvent) => void): () => void
}

const registry = new WeakMap<object, ClientHooks>()

export function registerClientHooks(client: object, hooks: ClientHooks): void {
  registry.set(client, hooks)
}

/** @throws ChatGPTError `invalid_argument` for an object that is not a client of this library. */
export function clientHooks(client: object): ClientHooks {
  const hooks = registry.get(client)
  if (!hooks) {
    throw new ChatGPTError('expected a ChatGPTAPI or ChatGPTAccountPool of this library', { code: 'invalid_argument' })
  }
  return hooks
}
