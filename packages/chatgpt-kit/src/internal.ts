/**
 * `chatgpt-kit/internal`: the parts of the library that its sibling packages (the CLI and the
 * server side) build on. Not public API: anything here may change in any release, which is why
 * the CLI and the server pin the library's exact version.
 *
 * @internal
 * @module chatgpt-kit/internal
 */
export { Secrets } from './internal/secrets.js'
export { sleep } from './internal/sleep.js'
export { inlineToText, lineBudget, type InlineReport } from './internal/markdown/inline.js'
export { inlineSpans, type InlineSpan, type InlineSpans } from './internal/markdown/inline-spans.js'
export { isTitleLine, parseDefinition } from './internal/markdown/link-definitions.js'
export { assertRecordId, checkBinding, checkStoredMessage, storeClosedError } from './internal/store-records.js'
export { LeaseWaiters, type LeaseTaker } from './internal/lease-waiters.js'
export { linkedSignal } from './internal/linked-signal.js'
export { FORGET_COOLDOWNS_AFTER_MS, checkCooldown } from './internal/cooldown-mark.js'
export {
  MAX_UNBROKEN_RUN,
  encodingForModel,
  isExactCut,
  loadedEncodings,
  segmentForCounting,
  tokenCounterFor,
  type CountableChatMessage,
  type TokenCounter,
  type TokenEncodingName
} from './internal/token-count.js'
