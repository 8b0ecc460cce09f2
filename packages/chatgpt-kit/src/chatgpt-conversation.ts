import type { ChatGPTAPI } from './chatgpt-api.js'
import { ChatGPTMessageStream } from './chatgpt-message-stream.js'
import type { ConversationHistory } from './conversation-history.js'
import { CallSignal } from './internal/call-signal.js'
import { clientHooks } from './internal/client-hooks.js'
import { rollbackTarget } from './internal/tree-targets.js'
import { assertDuration, assertPositiveCount, invalidArgument } from './internal/validate.js'
import type {
  CallOptions,
  ChatGPTReply,
  ConversationActionOptions,
  ReplyActionOptions,
  SendConversationMessageOptions,
  SendMessageOptions
} from './types.js'

/**
 * What a {@link ChatGPTConversation} calls on its client: {@link ChatGPTAPI} and
 * {@link ChatGPTAccountPool} both are one.
 */
export interface ConversationClient {
  sendMessageDetailed(message: string, opts?: SendMessageOptions): Promise<ChatGPTReply>
  regenerateReply(opts: ReplyActionOptions): Promise<ChatGPTReply>
  continueReply(opts: ReplyActionOptions): Promise<ChatGPTReply>
  getConversationHistory(conversationId: string, opts?: CallOptions): Promise<ConversationHistory>
}

/**
 * A conversation wrapper around the ChatGPTAPI. This allows you to send
 * multiple messages to ChatGPT and receive responses, without having to
 * manually pass the conversation ID and parent message ID for each message.
 *
 * The ids move forward only when a reply succeeded, so a failed or aborted message can simply be
 * sent again. Calls made while another is still running — messages, regenerations, rollbacks —
 * wait for it and run in order, each from where the one before it left the conversation.
 *
 * @example
 * ```ts
 * const chat = api.getConversation()
 * await chat.sendMessage('Suggest a name for a cat')
 * const other = await chat.regenerate()       // another answer to the same message
 * await chat.rollback()                        // forget the last exchange…
 * await chat.sendMessage('A name for a dog?')  // …and ask something else in its place
 * const { messages } = await chat.history()
 * ```
 */
export class ChatGPTConversation<Client extends ConversationClient = ChatGPTAPI> {
  /** The client the conversation sends through: a {@link ChatGPTAPI}, or a {@link ChatGPTAccountPool}. */
  api: Client
  conversationId: string | undefined = undefined
  parentMessageId: string | undefined = undefined
  private tail: Promise<unknown> = Promise.resolve()

  /**
   * Creates a new conversation wrapper around the ChatGPT API.
   *
   * @param api - The ChatGPT API instance to use (or an account pool)
   * @param opts.conversationId - Optional ID of a conversation to continue
   * @param opts.parentMessageId - Optional ID of the previous message in the conversation
   */
  constructor(
    api: Client,
    opts: { conversationId?: string; parentMessageId?: string } = {}
  ) {
    this.api = api
    this.conversationId = opts.conversationId
    this.parentMessageId = opts.parentMessageId
  }

  /**
   * Sends a message to ChatGPT, waits for the response to resolve, and returns
   * the response.
   *
   * If this is the first message in the conversation, the conversation ID and
   * parent message ID will be automatically set.
   *
   * This allows you to send multiple messages to ChatGPT and receive responses,
   * without having to manually pass the conversation ID and parent message ID
   * for each message.
   *
   * @param message - The prompt message to send
   * @param opts - The options of a message (see {@link SendConversationMessageOptions}):
   *   `onProgress`, invoked every time the partial response is updated; `onConversationResponse`,
   *   invoked with every event of the stream; `abortSignal`, to abort the underlying `fetch` call
   *   using an [AbortController](https://developer.mozilla.org/en-US/docs/Web/API/AbortController);
   *   `timeoutMs`, `model`, `autoContinue`, …
   *
   * @returns The response from ChatGPT
   */
  sendMessage(message: string, opts: SendConversationMessageOptions = {}): Promise<string> {
    return this.sendMessageDetailed(message, opts).then((reply) => reply.text)
  }

  /**
   * Like {@link ChatGPTConversation.sendMessage}, but resolves to the reply with its ids and
   * `finishReason`.
   *
   * @param message - The prompt message to send
   * @param opts - The options of a message (see {@link SendConversationMessageOptions}).
   * @returns The reply; the conversation continues from it.
   *
   * @example
   * ```ts
   * const chat = api.getConversation()
   * const reply = await chat.sendMessageDetailed('Write a long essay')
   * if (reply.finishReason === 'max_tokens') await chat.continue()
   * ```
   */
  sendMessageDetailed(message: string, opts: SendConversationMessageOptions = {}): Promise<ChatGPTReply> {
    return this._enqueue(opts, async (bounds) => {
      const reply = await this.api.sendMessageDetailed(message, { ...opts, ...bounds, ...this._ids() })
      this._advance(reply)
      return reply
    })
  }

  /**
   * Sends a message in this conversation and streams the reply (see
   * {@link ChatGPTAPI.streamMessage}). It waits its turn behind the conversation's earlier calls;
   * the conversation continues from the reply once it has finished.
   *
   * @param message - The prompt message to send
   * @param opts - The options of a message; `timeoutMs` and `abortSignal` cover the wait too.
   * @returns The stream: iterate it for updates, or await its `result`.
   *
   * @example
   * ```ts
   * const chat = api.getConversation()
   * for await (const { delta } of chat.streamMessage('Tell me a story')) process.stdout.write(delta)
   * ```
   */
  streamMessage(message: string, opts: SendConversationMessageOptions = {}): ChatGPTMessageStream {
    return new ChatGPTMessageStream(
      (abortSignal, onUpdate) =>
        this._enqueue({ timeoutMs: opts.timeoutMs, abortSignal }, async (bounds) => {
          const reply = await clientHooks(this.api).sendWithUpdates(
            message,
            { ...opts, ...bounds, ...this._ids() },
            onUpdate
          )
          this._advance(reply)
          return reply
        }),
      { abortSignal: opts.abortSignal, plainText: clientHooks(this.api).plainText }
    )
  }

  /**
   * Regenerates the last reply (see {@link ChatGPTAPI.regenerateReply}); the conversation then
   * continues from the new one.
   *
   * @param opts - The options of a message (`model`, `onProgress`, `timeoutMs`, …).
   * @returns The new reply with its ids.
   * @throws ChatGPTError `invalid_argument` when the conversation has no reply to regenerate.
   */
  regenerate(opts: ConversationActionOptions = {}): Promise<ChatGPTReply> {
    return this._enqueue(opts, async (bounds) => {
      const { conversationId, messageId } = this._lastReply('regenerate')
      const reply = await this.api.regenerateReply({ ...opts, ...bounds, conversationId, messageId })
      this._advance(reply)
      return reply
    })
  }

  /**
   * Continues the last reply where it stopped at the model's token limit (see
   * {@link ChatGPTAPI.continueReply}).
   *
   * @param opts - The options of a message (`model`, `onProgress`, `timeoutMs`, …).
   * @returns The continued reply: the whole text, and whether it stopped again (`finishReason`).
   * @throws ChatGPTError `invalid_argument` when the conversation has no reply to continue.
   */
  continue(opts: ConversationActionOptions = {}): Promise<ChatGPTReply> {
    return this._enqueue(opts, async (bounds) => {
      const { conversationId, messageId } = this._lastReply('continue')
      const reply = await this.api.continueReply({ ...opts, ...bounds, conversationId, messageId })
      this._advance(reply)
      return reply
    })
  }

  /**
   * Moves back `n` exchanges along the history: the next message forks from there, replacing
   * the `n`-th last user message and what followed (as editing a message in the web app does).
   * Nothing is deleted; the old branch stays in the tree.
   *
   * @param n - How many exchanges to go back.
   * @param opts - `timeoutMs`, `abortSignal` of the history lookup.
   * @throws ChatGPTError `invalid_argument` when `n` is not a whole number of 1 or more, the
   *   conversation has not started, or it has fewer than `n` exchanges.
   */
  rollback(n = 1, opts: CallOptions = {}): Promise<void> {
    try {
      assertPositiveCount('n', n)
    } catch (error) {
      return Promise.reject(error)
    }
    return this._enqueue(opts, async (bounds) => {
      const conversationId = this._started('roll back')
      const history = await this.api.getConversationHistory(conversationId, bounds)
      this.parentMessageId = rollbackTarget(
        history.mapping,
        this.parentMessageId ?? history.currentNode,
        n
      )
    })
  }

  /**
   * The conversation's history as this object sees it: the thread that ends at its
   * `parentMessageId` (after a {@link ChatGPTConversation.rollback}, without the exchanges
   * rolled back), with the whole tree (see {@link ConversationHistory}).
   *
   * @param opts - `timeoutMs`, `abortSignal`.
   * @returns The history.
   * @throws ChatGPTError `invalid_argument` when the conversation has not started.
   */
  history(opts: CallOptions = {}): Promise<ConversationHistory> {
    return this._enqueue(opts, async (bounds) => {
      const history = await this.api.getConversationHistory(this._started('read'), bounds)
      const at = this.parentMessageId
      return at !== undefined && Object.hasOwn(history.mapping, at) ? history.at(at) : history
    })
  }

  /**
   * Runs `task` after every call queued before it, whether they succeeded or not, so that each
   * starts from the ids the previous one left. While it waits, the call's own `timeoutMs` and
   * `abortSignal` still apply (giving up leaves the queue at once), and `task` gets what is
   * left of the timeout, so that it bounds the whole call.
   */
  private _enqueue<T>(opts: CallOptions, task: (bounds: CallOptions) => Promise<T>): Promise<T> {
    try {
      assertDuration('timeoutMs', opts.timeoutMs)
    } catch (error) {
      return Promise.reject(error)
    }
    const previous = this.tail
    const queuedAt = Date.now()
    const waiting = new CallSignal(opts.timeoutMs, opts.abortSignal)
    const result = waiting
      .race(previous)
      .finally(() => waiting.dispose())
      .then(() => {
        const spent = Date.now() - queuedAt
        const timeoutMs = opts.timeoutMs ? Math.max(1, opts.timeoutMs - spent) : opts.timeoutMs
        return task({ timeoutMs, abortSignal: opts.abortSignal })
      })
    // The next call waits for this one and for everything before it: a call that gave up while
    // waiting must not let the next one overtake a call still running.
    this.tail = Promise.all([previous, result.catch(() => {})])
    return result
  }

  /** Where the next message continues from. */
  private _ids(): { conversationId: string | undefined; parentMessageId: string | undefined } {
    return { conversationId: this.conversationId, parentMessageId: this.parentMessageId }
  }

  /** Moves the ids forward to a reply that succeeded. */
  private _advance(reply: ChatGPTReply): void {
    if (reply.conversationId) this.conversationId = reply.conversationId
    if (reply.messageId) this.parentMessageId = reply.messageId
  }

  private _started(what: string): string {
    if (!this.conversationId) {
      throw invalidArgument(`cannot ${what} a conversation that has no messages yet`)
    }
    return this.conversationId
  }

  private _lastReply(what: string): { conversationId: string; messageId: string } {
    const conversationId = this._started(what)
    if (!this.parentMessageId) throw invalidArgument(`there is no reply to ${what}`)
    return { conversationId, messageId: this.parentMessageId }
  }
}
