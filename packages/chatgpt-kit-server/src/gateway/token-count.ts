/**
 * Token counts for `usage` (o200k_base). Replaced by the measured choice of tokenizer and its
 * model → encoding table in the next step.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'

export function countTextTokens(text: string, _model: string): number {
  return countTokens(text)
}

/** OpenAI's chat overhead: 3 tokens per message, and 3 that prime the reply. */
export function countChatPromptTokens(messages: { role: string; content: string }[], model: string): number {
  let count = 3
  for (const message of messages) count += 3 + countTextTokens(message.role, model) + countTextTokens(message.content, model)
  return count
}
