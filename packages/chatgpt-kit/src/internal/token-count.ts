/**
 * Token counts with a real BPE tokenizer, for the gateway's `usage` and for the Completions
 * client's context window: gpt-tokenizer, chosen over js-tiktoken by `bench/tokenizer.mjs` (the
 * same token ids, about 6× the throughput, a fifth of the cold start, a third of the memory).
 *
 * - gpt-tokenizer is an optional peer dependency of the library, loaded (`import()`) on the first
 *   count that needs an encoding: importing the library costs nothing, and a library user who
 *   never counts installs nothing (o200k_base is ~2.4 MB of JavaScript and ~200 ms to load).
 *   {@link tokenCounterFor} loads; the counter it returns counts synchronously.
 * - Special-token text such as `<|endoftext|>` in a message counts as the plain text it is, as the
 *   OpenAI API treats it, instead of throwing.
 * - Work is linear in the text's length. Both JavaScript BPE tokenizers are quadratic in the length
 *   of one pre-tokenized piece (a run of letters, of symbols or of whitespace), so a megabyte of 'a'
 *   would take minutes. {@link segmentForCounting} cuts the text where it is exact to do so and
 *   only cuts hard inside runs longer than {@link MAX_UNBROKEN_RUN} characters; see there for the
 *   (small, documented) approximation.
 * - One known slip: gpt-tokenizer 4.0.0 reads merged bytes back with a TextDecoder that drops a
 *   leading byte-order mark, so text with U+FEFF counts up to 2 tokens too many per U+FEFF.
 *
 * @module
 */
import { ChatGPTError } from '../errors.js'

/** The two BPE encodings the gateway's models use. */
export type TokenEncodingName = 'o200k_base' | 'cl100k_base'

/** Chat Completions message, as far as counting is concerned (text already flattened). */
export interface CountableChatMessage {
  role: string
  content: string
  /** The optional participant name; it costs its tokens plus one. */
  name?: string
}

/**
 * The longest run of characters counted in one piece when the text offers no exact cut: the
 * tokenizer's work on a run grows with its square, so this bounds work per character. A multiple
 * of 3 and of 8 so that hard cuts keep runs of digits (tokenized in threes) and runs of one ASCII
 * letter (eight to a token in o200k_base) counted exactly.
 */
export const MAX_UNBROKEN_RUN = 192

// OpenAI cookbook, "How to count tokens with tiktoken" (gpt-3.5-turbo-0125, gpt-4-0613, gpt-4o,
// gpt-4o-mini, checked there against the API's prompt_tokens): every message costs 3 tokens on top
// of its values (<|start|>{role}<|message|>{content}<|end|>), a name one more, and the reply is
// primed with <|start|>assistant<|message|>.
const TOKENS_PER_MESSAGE = 3
const TOKENS_PER_NAME = 1
const REPLY_PRIMING_TOKENS = 3

type Encoding = Pick<typeof import('gpt-tokenizer/encoding/o200k_base'), 'countTokens' | 'setMergeCacheSize'>

const loading = new Map<TokenEncodingName, Promise<Encoding>>()
const loaded = new Map<TokenEncodingName, Encoding>()

/** Plain-text treatment of special tokens: nothing is disallowed, nothing is special. */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() }

// gpt-tokenizer caches merged pieces, keyed by the piece's text: 100,000 by default, which in a
// long-running gateway means up to tens of MB of prompt fragments kept alive. 10,000 counted the
// bench's corpus as fast as 100,000 (the pieces that repeat are the common ones) while keeping at
// most a few MB (pieces are at most MAX_UNBROKEN_RUN characters once segmented).
const MERGE_CACHE_ENTRIES = 10_000

/** The encodings loaded so far (for tests of the lazy loading). */
export function loadedEncodings(): TokenEncodingName[] {
  return [...loaded.keys()].sort()
}

async function loadEncoding(name: TokenEncodingName): Promise<Encoding> {
  let pending = loading.get(name)
  if (pending === undefined) {
    pending = (name === 'cl100k_base' ? import('gpt-tokenizer/encoding/cl100k_base') : import('gpt-tokenizer/encoding/o200k_base')).then(
      (module) => {
        // A CommonJS build reaches the module's exports through `default`.
        const encoding = (typeof module.countTokens === 'function' ? module : (module as unknown as { default: Encoding }).default) as Encoding
        encoding.setMergeCacheSize(MERGE_CACHE_ENTRIES)
        loaded.set(name, encoding)
        return encoding
      },
      (error: unknown) => {
        loading.delete(name)
        throw new ChatGPTError('Counting tokens needs the gpt-tokenizer package: npm install gpt-tokenizer', {
          code: 'invalid_argument',
          originalError: error
        })
      }
    )
    loading.set(name, pending)
  }
  return pending
}

/**
 * The encoding a model slug uses. gpt-4 (and its -turbo, -0613, web variants like gpt-4-browsing)
 * and gpt-3.5 (including the web app's text-davinci-002-render-sha) use cl100k_base; gpt-4o,
 * gpt-4.1/4.5, gpt-5, the o-series and any slug not known here use o200k_base, the encoding of
 * every current model.
 */
export function encodingForModel(model: string): TokenEncodingName {
  const slug = model.trim().toLowerCase()
  if (slug.startsWith('gpt-4o') || slug.startsWith('gpt-4.')) return 'o200k_base'
  if (slug === 'gpt-4' || slug.startsWith('gpt-4-')) return 'cl100k_base'
  if (slug.startsWith('gpt-3.5') || slug.startsWith('gpt-35') || slug.startsWith('text-davinci-002-render')) return 'cl100k_base'
  return 'o200k_base'
}

// A position is an exact cut when no pre-tokenized piece (o200k_base's or cl100k_base's split
// pattern, run by the tokenizer in this same JavaScript engine) can span it, so counting the two
// sides separately gives the same tokens as counting the whole:
// - before a space that follows a non-space: pieces only ever start with a space;
// - after a letter, before anything but a letter, a combining mark or an apostrophe (which could
//   begin a contraction suffix such as 's, part of o200k_base's word piece);
// - after a digit, before a non-digit: digits are only ever pieces of their own.
// The piece that starts at the cut depends only on what follows it, and none of these cuts leaves
// whitespace at the end of the left side (where `\s+$`-style alternatives would differ).
const EXACT_CUT_SOURCE = String.raw`(?<=\S)(?= )|(?<=\p{L})(?=[^\p{L}\p{M}'])|(?<=\p{N})(?=\P{N})`
const EXACT_CUT = new RegExp(EXACT_CUT_SOURCE, 'gu')
const EXACT_CUT_HERE = new RegExp(EXACT_CUT_SOURCE, 'uy')

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

/** Whether counting `text` cut at `index` (0 < index < length) counts the same as counting it whole. */
export function isExactCut(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length || isHighSurrogate(text.charCodeAt(index - 1))) return false
  EXACT_CUT_HERE.lastIndex = index
  return EXACT_CUT_HERE.test(text)
}

/** The index just after position `index` that does not split a surrogate pair. */
function nextIndex(text: string, index: number): number {
  return isHighSurrogate(text.charCodeAt(index)) ? index + 2 : index + 1
}

/** The first exact cut at or after `from` (never inside a surrogate pair), or the text's length. */
function firstExactCutFrom(text: string, from: number): number {
  if (from > 0 && isHighSurrogate(text.charCodeAt(from - 1))) from++
  EXACT_CUT.lastIndex = from
  return EXACT_CUT.exec(text)?.index ?? text.length
}

/**
 * Splits `text` into segments whose token counts add up to the text's count, cutting only where a
 * stretch of more than `maxRun` characters contains no exact cut (see {@link isExactCut}); there
 * it cuts every `maxRun` characters (never inside a surrogate pair). Ordinary prose, code, CJK with
 * punctuation and markdown come back as one segment and count exactly.
 *
 * The approximation: a hard cut stops BPE merges across it, so a long unbroken run (a megabyte of
 * one letter, a wall of emoji, a long hex string, CJK without punctuation) may count up to about
 * one token more per {@link MAX_UNBROKEN_RUN} characters than the real tokenizer would.
 *
 * Work is linear: every piece the tokenizer sees is at most `maxRun` characters long, so its
 * quadratic merge costs at most `maxRun` per character, and finding the cuts probes the text
 * once every `maxRun / 2` characters.
 */
export function segmentForCounting(text: string, maxRun: number = MAX_UNBROKEN_RUN): string[] {
  if (!(maxRun >= 2)) throw new RangeError('maxRun must be at least 2')
  const half = Math.floor(maxRun / 2)
  const segments: string[] = []
  let segmentStart = 0
  let lastCut = 0
  while (text.length - lastCut > maxRun) {
    // Probe half a run ahead: a cut within reach means no run here is too long, and skips ahead.
    const next = firstExactCutFrom(text, lastCut + half)
    if (next - lastCut <= maxRun) {
      lastCut = next
      continue
    }
    // A long stretch without exact cuts ends at `next`; it begins after the last exact cut
    // before the probe point, where hard cuts start so that nothing exact is cut.
    let runStart = lastCut
    for (let cut = firstExactCutFrom(text, nextIndex(text, lastCut)); cut < lastCut + half; cut = firstExactCutFrom(text, nextIndex(text, cut))) {
      runStart = cut
    }
    while (next - runStart > maxRun) {
      let cut = runStart + maxRun
      if (isHighSurrogate(text.charCodeAt(cut - 1))) cut--
      segments.push(text.slice(segmentStart, cut))
      segmentStart = runStart = cut
    }
    lastCut = next
  }
  segments.push(segmentStart === 0 ? text : text.slice(segmentStart))
  return segments
}

/** Tokens in `text` with `encoding`, special-token text counted as plain text, in linear time. */
function countWith(encoding: Encoding, text: string): number {
  let tokens = 0
  for (const segment of segmentForCounting(text)) tokens += encoding.countTokens(segment, AS_PLAIN_TEXT)
  return tokens
}

/** Counts tokens for one model, synchronously; see {@link tokenCounterFor}. */
export type TokenCounter = {
  readonly encoding: TokenEncodingName
  /** Tokens in `text`: e.g. the completion_tokens of a reply. */
  text(text: string): number
  /**
   * The prompt_tokens of a Chat Completions request, by OpenAI's documented rule (cookbook "How
   * to count tokens with tiktoken", checked there against the API): 3 tokens per message plus the
   * tokens of its role, content and name (a name costs one more), plus 3 for the reply's priming.
   * Tool definitions and images are not counted here.
   */
  chat(messages: readonly CountableChatMessage[]): number
}

/**
 * The token counter of `model` (see {@link encodingForModel}), its encoding loaded on first use.
 *
 * @throws ChatGPTError `invalid_argument` when gpt-tokenizer is not installed.
 */
export async function tokenCounterFor(model: string): Promise<TokenCounter> {
  const name = encodingForModel(model)
  const encoding = loaded.get(name) ?? (await loadEncoding(name))
  const text = (value: string) => (value.length === 0 ? 0 : countWith(encoding, value))
  return {
    encoding: name,
    text,
    chat(messages) {
      let tokens = REPLY_PRIMING_TOKENS
      for (const message of messages) {
        tokens += TOKENS_PER_MESSAGE + text(message.role) + text(message.content)
        if (message.name !== undefined) tokens += TOKENS_PER_NAME + text(message.name)
      }
      return tokens
    }
  }
}
