/**
 * `autoContinue`: a reply that stopped at the model's token limit (`finishReason: 'max_tokens'`)
 * is continued with `action: 'continue'` (PROTOCOL.md §2), up to a number of times, as one call.
 * Built on the one send path: every round is a plain `_converse` call.
 */
import { ChatGPTError } from '../errors.js'
import type { ChatGPTReply, ConversationJSONBody, SendMessageOptions } from '../types.js'
import { continueMessageBody } from './action-bodies.js'
import { withCallScope } from './call-scope.js'
import type { ReplyState } from './reply.js'
import { assertCount } from './validate.js'

/** `ChatGPTAPI._converse`, bound. */
export type Converse = (
  body: ConversationJSONBody,
  opts: SendMessageOptions,
  ids: { parentMessageId: string },
  onUpdate?: (text: string, state: ReplyState) => void
) => Promise<ChatGPTReply>

/**
 * Sends `body`, then continues the reply while it stops at the token limit, at most
 * `opts.autoContinue` times. `onProgress`, `onUpdate` and the result see the reply's whole text
 * across rounds; `timeoutMs` and `abortSignal` bound all rounds together.
 */
export async function converseWithAutoContinue(
  converse: Converse,
  body: ConversationJSONBody,
  opts: SendMessageOptions,
  ids: { parentMessageId: string },
  onUpdate?: (text: string, state: ReplyState) => void
): Promise<ChatGPTReply> {
  assertCount('autoContinue', opts.autoContinue)
  const limit = opts.autoContinue ?? 0
  // Without continuations the call is exactly one `_converse`, with the caller's options as given.
  if (limit === 0) return converse(body, opts, ids, onUpdate)

  return withCallScope(opts.timeoutMs, opts.abortSignal, async (signal) => {
    const { onProgress } = opts
    const roundOpts: SendMessageOptions = {
      ...opts,
      timeoutMs: undefined,
      abortSignal: signal,
      // Called below with the joined text instead: a continuation alone may start from nothing.
      onProgress: undefined,
      autoContinue: undefined
    }
    const joined = new JoinedReply()
    const observe = (shown: string, state: ReplyState) => {
      const text = joined.update(shown, state.text)
      onUpdate?.(text, state)
      onProgress?.(text)
    }

    let reply = await converse(body, roundOpts, ids, observe)
    for (let round = 0; round < limit && shouldContinue(reply); round++) {
      joined.nextRound(reply.text)
      const next = continueMessageBody({
        messageId: reply.messageId,
        conversationId: reply.conversationId,
        model: body.model
      })
      let more: ChatGPTReply
      try {
        more = await converse(next, roundOpts, ids, observe)
      } catch (error) {
        if (error instanceof ChatGPTError && typeof error.partialText === 'string') {
          error.partialText = joined.partialRaw(error.partialText)
        }
        throw error
      }
      reply = {
        ...more,
        text: joined.final(more.text),
        parentMessageId: reply.parentMessageId,
        model: more.model ?? reply.model
      }
    }
    return reply
  })
}

function shouldContinue(reply: ChatGPTReply): boolean {
  return reply.finishReason === 'max_tokens' && reply.messageId !== '' && reply.conversationId !== ''
}

/**
 * The text of a reply across continuation rounds. The backend streams a continued message whole
 * (the old text, then the new), but a server that streamed only the new part must not lose the
 * old one: the first update of a round tells which it is, by whether its raw text extends what
 * the reply had.
 */
class JoinedReply {
  /** Raw (markdown) and shown text of the rounds before this one. */
  private baseRaw = ''
  private baseShown = ''
  private lastRaw = ''
  /** `undefined` until the round's first update says. */
  private wholeMessage: boolean | undefined = true

  /** The text so far, given a round's update (`shown` as the caller sees it, `raw` as sent). */
  update(shown: string, raw: string): string {
    this.wholeMessage ??= raw.startsWith(this.baseRaw)
    this.lastRaw = raw
    return this.wholeMessage ? shown : this.baseShown + shown
  }

  /** The round ended with `shown` as its text; a continuation follows. */
  nextRound(shown: string): void {
    // A round without updates changed nothing.
    if (this.wholeMessage === true) this.baseRaw = this.lastRaw
    else if (this.wholeMessage === false) this.baseRaw += this.lastRaw
    this.baseShown = shown
    this.lastRaw = ''
    this.wholeMessage = undefined
  }

  /** The whole text, given the round's final text. */
  final(shown: string): string {
    return this.wholeMessage === false || (this.wholeMessage === undefined && shown === '')
      ? this.baseShown + shown
      : shown
  }

  /** The whole raw text, given the raw partial text of a round that failed. */
  partialRaw(raw: string): string {
    return this.wholeMessage === false || (this.wholeMessage === undefined && !raw.startsWith(this.baseRaw))
      ? this.baseRaw + raw
      : raw
  }
}
