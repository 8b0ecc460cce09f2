/**
 * `chatgpt-kit/testing`: a local ChatGPT web backend for testing clients and bots offline.
 *
 * @module chatgpt-kit/testing
 */
export { createTestBackend } from './backend.js'
export { defaultReply } from './default-reply.js'
export { seededRandom } from './seeded-random.js'
export { approximateTokenCount } from './token-estimate.js'
export { SHOWCASE_TOPICS, showcaseReply, type ShowcaseTopic } from './showcase-reply.js'
export type { BackendProtocol, TestConduitToken, TestSentinelTurn } from './protocol-2026-types.js'
export type {
  ConversationMessage,
  ConversationNode,
  ConversationSnapshot,
  Fault,
  RecordedRequest,
  ReplyContext,
  ReplyFunction,
  StreamShape,
  TestAccount,
  TestBackend,
  TestBackendOptions,
  TestConversations,
  TestReplyStats,
  TestUser
} from './types.js'
