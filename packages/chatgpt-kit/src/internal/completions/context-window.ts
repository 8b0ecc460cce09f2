/**
 * The messages a Completions request sends: the system message, the new user message, and as
 * much of the conversation before it as fits, newest first, walked back through `parentMessageId`
 * in the store. It never sends more than `maxPromptTokens`; the reply gets what is left.
 */
import { ChatGPTError } from '../../errors.js'
import type { ConversationStore, StoredMessage } from '../../store.js'
import type { TokenCounter } from '../token-count.js'

export type ContextMessage = { role: 'system' | 'user' | 'assistant'; content: string }

export type Context = {
  /** Oldest first: the system message, the history that fits, the new message. */
  messages: ContextMessage[]
  /** The prompt's tokens by OpenAI's chat rule (what the API will count, give or take). */
  promptTokens: number
  /** The conversation the parent message belongs to. */
  conversationId: string | undefined
}

/** A stored message's token count, kept in its metadata by the client that wrote it. */
export const TOKEN_COUNT_KEY = 'tokenCount'
export const ENCODING_KEY = 'encoding'

/** How far back a conversation is walked at most, whatever fits: a bound on store reads. */
const MAX_HISTORY_MESSAGES = 10_000

/** OpenAI's chat rule: 3 tokens per message on top of its role and content, 3 to prime the reply. */
const TOKENS_PER_MESSAGE = 3
const REPLY_PRIMING_TOKENS = 3

export async function buildContext(input: {
  store: ConversationStore
  systemMessage: string | undefined
  message: string
  parentMessageId: string | undefined
  counter: TokenCounter
  maxPromptTokens: number
}): Promise<Context> {
  const { store, counter, maxPromptTokens } = input
  const cost = (role: string, content: string, known?: number) => TOKENS_PER_MESSAGE + counter.text(role) + (known ?? counter.text(content))
  const system: ContextMessage[] = input.systemMessage ? [{ role: 'system', content: input.systemMessage }] : []
  let tokens = REPLY_PRIMING_TOKENS + cost('user', input.message) + system.reduce((sum, m) => sum + cost(m.role, m.content), 0)
  if (tokens > maxPromptTokens) {
    throw new ChatGPTError(
      `The message${system.length > 0 ? ' and the system message' : ''} come to ${tokens} tokens, more than the ${maxPromptTokens} the context allows (maxModelTokens − maxResponseTokens); nothing was sent`,
      { code: 'context_length_exceeded' }
    )
  }
  const history: ContextMessage[] = []
  let conversationId: string | undefined
  const seen = new Set<string>()
  // Reads, not kept messages, are bounded: a message not kept as history (a system message) is
  // read all the same.
  for (let id = input.parentMessageId; id !== undefined && seen.size < MAX_HISTORY_MESSAGES; ) {
    // A store edited by hand (or by a bug) could link messages in a loop.
    if (seen.has(id)) break
    seen.add(id)
    const stored = await store.getMessage(id)
    if (!stored) {
      if (id === input.parentMessageId) {
        throw new ChatGPTError(`The store has no message ${id} to continue from (parentMessageId); nothing was sent`, {
          code: 'conversation_not_found'
        })
      }
      // Older history was forgotten (a bounded store): continue with what is left.
      break
    }
    if (id === input.parentMessageId) conversationId = stored.conversationId
    if (stored.role !== 'system') {
      const next = cost(stored.role, stored.text, knownCount(stored, counter))
      if (tokens + next > maxPromptTokens) break
      tokens += next
      history.push({ role: stored.role, content: stored.text })
    }
    id = stored.parentMessageId
  }
  history.reverse()
  return { messages: [...system, ...history, { role: 'user', content: input.message }], promptTokens: tokens, conversationId }
}

function knownCount(message: StoredMessage, counter: TokenCounter): number | undefined {
  const count = message.metadata?.[TOKEN_COUNT_KEY]
  return message.metadata?.[ENCODING_KEY] === counter.encoding && typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : undefined
}
