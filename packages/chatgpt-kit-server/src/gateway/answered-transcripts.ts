/**
 * What the gateway remembers of the transcripts it answered, in the conversation store (shared by
 * every gateway process on the same store): for each, the web conversation and the reply that a
 * follow-up continues from. The pool's own binding in the same store says which account.
 */
import { ChatGPTError, type ConversationStore } from 'chatgpt-kit'

/** Where a transcript the gateway answered continues. */
export type Continuation = { conversationId: string; parentMessageId: string }

export class AnsweredTranscripts {
  constructor(readonly store: ConversationStore) {}

  /** The continuation of the transcript under `key`, when the gateway answered it. */
  async find(key: string): Promise<Continuation | undefined> {
    const record = await fromStore(() => this.store.getMessage(key))
    const continueFrom = record?.metadata?.continueFrom
    if (record?.conversationId === undefined || typeof continueFrom !== 'string') return undefined
    return { conversationId: record.conversationId, parentMessageId: continueFrom }
  }

  /** Records that the transcript under `key` ended with the reply `messageId` of `conversationId`. */
  async remember(key: string, at: Continuation): Promise<void> {
    // No text: the key is a hash of the transcript, and a follow-up needs only the ids.
    await fromStore(() => this.store.putMessage({
      id: key,
      role: 'assistant',
      text: '',
      conversationId: at.conversationId,
      createdAt: Date.now(),
      metadata: { continueFrom: at.parentMessageId }
    }))
  }
}

/**
 * A store call; a failure that is not a ChatGPTError (a store of the application's own) becomes
 * `store_unavailable`, as in the pool, so that the client hears 503 and not 502.
 */
async function fromStore<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof ChatGPTError) throw error
    throw new ChatGPTError('The conversation store failed; try again when it is back', { code: 'store_unavailable', originalError: error })
  }
}
