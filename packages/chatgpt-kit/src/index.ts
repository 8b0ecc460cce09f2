/**
 * `chatgpt-kit`: a client for the ChatGPT web backend.
 *
 * @module chatgpt-kit
 */
export { ChatGPTAPI } from './chatgpt-api.js'
export { CHATGPT_API_DEFAULTS, type ChatGPTAPIOptions } from './chatgpt-api-options.js'
export { ChatGPTConversation } from './chatgpt-conversation.js'
export { ChatGPTMessageStream, type ChatGPTStreamUpdate } from './chatgpt-message-stream.js'
export { ConversationHistory } from './conversation-history.js'
export {
  CHATGPT_ERROR_CODES,
  ChatGPTError,
  type ChatGPTErrorCode,
  type ChatGPTErrorOptions
} from './errors.js'
export { markdownToText, IncrementalMarkdownToText } from './markdown.js'
export type * from './types.js'
