/**
 * `autoContinue`: a reply that stopped at the model's token limit (`finishReason: 'max_tokens'`)
 * is continued with `action: 'continue'`, up to a number of times, as one reply
 * whose text is joined across rounds. Works on the server's text (markdown): presentation comes
 * after the rounds are joined.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationJSONBody } from '../types.js'
import { continueMessageBody } from './action-bodies.js'
import type { ReplyState } from './reply.js'
import { joinedExtras } from './reply-extras.js'

/** Observes every change of a reply's text, with its state (`state.appended`: how it grew). */
export type TextObserver = (text: string, state: ReplyState, appended: string | undefined) => void

/** One round: sends `body` and reports every change of its text. */
export type SendRound = (
  body: ConversationJSONBody,
  onText: (text: string, state: ReplyState) => void
) => Promise<ReplyState>

/**
 * Sends `body`, then continues the reply while it stops at the token limit, at most `limit`
 * times. `onText` and the result see the reply's whole text across rounds.
 *
 * @returns The last round's state, with `text` the joined text.
 */
export async function replyWithContinuations(
  sendRound: SendRound,
  body: ConversationJSONBody,
  limit: number,
  onText: TextObserver
): Promise<ReplyState> {
  const joined = new JoinedText()
  const observe = (text: string, state: ReplyState) => {
    // The first text of a round decides how it joins; only after that does it grow as the round's.
    const settled = joined.decided
    onText(joined.update(text), state, settled ? state.appended : undefined)
  }
  let state = await sendRound(body, observe)
  let text = joined.update(state.text)
  for (let round = 0; round < limit && shouldContinue(state); round++) {
    joined.nextRound(text)
    const next = continueMessageBody({
      messageId: state.messageId!,
      conversationId: state.conversationId!,
      model: body.model
    })
    const previous = state
    try {
      state = await sendRound(next, observe)
    } catch (error) {
      if (error instanceof ChatGPTError && typeof error.partialText === 'string') {
        error.partialText = joined.update(error.partialText)
      }
      throw error
    }
    state = {
      ...state,
      ...joinedExtras(previous, state),
      model: state.model ?? previous.model,
      parentMessageId: previous.parentMessageId ?? state.parentMessageId
    }
    text = joined.update(state.text)
  }
  return { ...state, text }
}

function shouldContinue(state: ReplyState): boolean {
  return state.finishReason === 'max_tokens' && !!state.messageId && !!state.conversationId
}

/**
 * The text of a reply across continuation rounds. The backend streams a continued message whole
 * (the old text, then the new), but a server that streamed only the new part must not lose the
 * old one: the first text of a round tells which it is, by whether it extends what the reply had.
 */
class JoinedText {
  private base = ''
  /** `undefined` until the round's first text says. */
  private wholeMessage: boolean | undefined = true

  /** Whether this round's first text has said how it joins. */
  get decided(): boolean {
    return this.wholeMessage !== undefined
  }

  /** The whole text, given a text of the current round. */
  update(text: string): string {
    // Checked once per round, so a long reply is not compared again on every event.
    this.wholeMessage ??= text.startsWith(this.base)
    return this.wholeMessage ? text : this.base + text
  }

  /** The round ended with `text` (whole, as {@link JoinedText.update} returned); another follows. */
  nextRound(text: string): void {
    this.base = text
    this.wholeMessage = undefined
  }
}
