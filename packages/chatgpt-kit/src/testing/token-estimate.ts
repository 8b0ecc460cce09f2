/**
 * Counts the tokens of a text for the Chat Completions API's context window and `usage`:
 * see `TestBackendOptions.apiTokenCounter`.
 */
export type TokenCounter = (text: string) => number

/**
 * The test backend's stand-in for a tokenizer: one token per 4 UTF-16 code units, rounded up
 * (`''` is 0, `'hi'` is 1). English prose averages about 4 characters a token in OpenAI's
 * encodings, so this is near a real count for prose and can be off either way for code, other
 * scripts or emoji. A test that needs the backend to agree exactly with a client's tokenizer
 * passes that tokenizer as `apiTokenCounter`.
 *
 * @example
 * ```ts
 * import { approximateTokenCount } from 'chatgpt-kit/testing'
 *
 * approximateTokenCount('Hello there, how are you?') // 7 (25 characters)
 * ```
 */
export function approximateTokenCount(text: string): number {
  return Math.ceil(text.length / 4)
}

// OpenAI's documented rule (cookbook "How to count tokens with tiktoken"): every message costs 3
// tokens beyond its role and content, a name 1 more beyond its own, and the reply is primed with 3.
const TOKENS_PER_MESSAGE = 3
const ROLE_TOKENS = 1
const TOKENS_PER_NAME = 1
const REPLY_PRIMING_TOKENS = 3

/** A message as far as counting goes: its text, and the name if it has one. */
export interface CountedMessage {
  content: string
  name?: string
}

/**
 * A request's prompt tokens by OpenAI's rule: 3 + Σ (3 + 1 for the role + the content's tokens
 * [+ 1 + the name's tokens]), with `count` for the texts. Every role is one token, as in OpenAI's
 * encodings.
 */
export function countPromptTokens(messages: readonly CountedMessage[], count: TokenCounter): number {
  let tokens = REPLY_PRIMING_TOKENS
  for (const message of messages) {
    tokens += TOKENS_PER_MESSAGE + ROLE_TOKENS + count(message.content)
    if (message.name !== undefined) tokens += TOKENS_PER_NAME + count(message.name)
  }
  return tokens
}
