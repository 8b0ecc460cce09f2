import type { ChatGPTAPI } from './chatgpt-api.js'
import type { SendConversationMessageOptions } from './types.js'

/**
 * A conversation wrapper around the ChatGPTAPI. This allows you to send
 * multiple messages to ChatGPT and receive responses, without having to
 * manually pass the conversation ID and parent message ID for each message.
 *
 * The ids move forward only when a reply succeeded, so a failed or aborted message can simply be
 * sent again. Messages sent while another is still running wait for it, and each continues from
 * the reply before it.
 */
export class ChatGPTConversation {
  api: ChatGPTAPI
  conversationId: string | undefined = undefined
  parentMessageId: string | undefined = undefined
  private tail: Promise<unknown> = Promise.resolve()

  /**
   * Creates a new conversation wrapper around the ChatGPT API.
   *
   * @param api - The ChatGPT API instance to use
   * @param opts.conversationId - Optional ID of a conversation to continue
   * @param opts.parentMessageId - Optional ID of the previous message in the conversation
   */
  constructor(
    api: ChatGPTAPI,
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
   * @param opts.onProgress - Optional callback which will be invoked every time the partial response is updated
   * @param opts.onConversationResponse - Optional callback which will be invoked every time the partial response is updated with the full conversation response
   * @param opts.abortSignal - Optional callback used to abort the underlying `fetch` call using an [AbortController](https://developer.mozilla.org/en-US/docs/Web/API/AbortController)
   *
   * @returns The response from ChatGPT
   */
  sendMessage(message: string, opts: SendConversationMessageOptions = {}): Promise<string> {
    const send = async () => {
      const reply = await this.api.sendMessageDetailed(message, {
        ...opts,
        conversationId: this.conversationId,
        parentMessageId: this.parentMessageId
      })
      if (reply.conversationId) this.conversationId = reply.conversationId
      if (reply.messageId) this.parentMessageId = reply.messageId
      return reply.text
    }
    // Chained so that concurrent sends go out one after another, each answering the reply
    // before it; a failure does not stop the ones queued behind it.
    const result = this.tail.then(send, send)
    this.tail = result.catch(() => {})
    return result
  }
}
