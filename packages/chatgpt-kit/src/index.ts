/**
 * `chatgpt-kit`: a client for the ChatGPT web backend (and, behind the same calls, for the official
 * Chat Completions API).
 *
 * @module chatgpt-kit
 */
export { ChatGPTAPI } from './chatgpt-api.js'
export {
  CHATGPT_API_DEFAULTS,
  type ChatGPTAPIAccessTokenOptions,
  type ChatGPTAPIOptions
} from './chatgpt-api-options.js'
export { ChatGPTAccountPool } from './chatgpt-account-pool.js'
export {
  CHATGPT_ACCOUNT_POOL_DEFAULTS,
  type ChatGPTAccountPoolOptions,
  type ChatGPTPoolAccount,
  type PoolCallOptions
} from './chatgpt-account-pool-options.js'
export {
  ChatGPTCompletionsAPI,
  type ChatGPTCompletionsReply,
  type CompletionUsage,
  type CompletionsSendMessageOptions
} from './chatgpt-completions-api.js'
export {
  CHATGPT_COMPLETIONS_API_DEFAULTS,
  type ChatGPTCompletionsAPIOptions,
  type CompletionParams
} from './chatgpt-completions-api-options.js'
export type {
  AccountCooldown,
  AccountPoolStatus,
  AccountState,
  AccountStateChange,
  AccountStatus
} from './account-status.js'
export { ChatGPTConversation, type ConversationClient } from './chatgpt-conversation.js'
export { ChatGPTMessageStream, type ChatGPTStreamUpdate } from './chatgpt-message-stream.js'
export { ConversationHistory } from './conversation-history.js'
export {
  CHATGPT_ERROR_CODES,
  ChatGPTError,
  type ChatGPTErrorCode,
  type ChatGPTErrorOptions
} from './errors.js'
export type { AccountLease, CooldownMark, DeadMark, LeaseRequest, PoolCoordinator } from './coordinator.js'
export { InProcessCoordinator } from './in-process-coordinator.js'
export { markdownToText, IncrementalMarkdownToText } from './markdown.js'
export {
  MEMORY_STORE_DEFAULTS,
  MemoryStore,
  type ConversationBinding,
  type ConversationStore,
  type MemoryStoreOptions,
  type StoredMessage
} from './store.js'
export type * from './types.js'
