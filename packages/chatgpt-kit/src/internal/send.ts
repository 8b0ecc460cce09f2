/**
 * One round of a reply, below presentation: open the stream (`POST /conversation`, retried only
 * as the POST rule allows), then read it to the end. Shape-agnostic (the reader handles every
 * shape) and knows no markdown: the text it reports is the server's.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationJSONBody, ConversationResponseEvent } from '../types.js'
import type { AuthSource } from './auth-source.js'
import { backendCall } from './backend-call.js'
import type { CallSignal } from './call-signal.js'
import type { ReplyState } from './reply.js'
import { readReplyStream } from './reply-stream.js'
import { eventStream } from './response-handlers.js'
import type { Transport } from './transport.js'

export type SendContext = {
  transport: Transport
  auth: AuthSource
  backendApiBaseUrl: string
  call: CallSignal
  maxRetries: number
  /** Every change of the reply text (the server's markdown), with the state it belongs to. */
  onText?: (text: string, state: ReplyState) => void
  onConversationResponse?: (response: ConversationResponseEvent) => void
}

export async function sendRound(context: SendContext, body: ConversationJSONBody): Promise<ReplyState> {
  const { call } = context
  const stream = await withModel(body.model, () =>
    backendCall(
      context.transport,
      context.auth,
      {
        method: 'POST',
        url: `${context.backendApiBaseUrl}/conversation`,
        baseUrl: context.backendApiBaseUrl,
        body,
        call,
        maxRetries: context.maxRetries
      },
      eventStream
    )
  )
  // Its bytes keep the call's idle clock going (`backendCall`).
  return readReplyStream(stream, {
    onText: context.onText,
    onConversationResponse: context.onConversationResponse
  })
}

/** A refusal of the message carries its model: a rate limit may be that model's cap alone. */
async function withModel<T>(model: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof ChatGPTError && error.code === 'rate_limited' && model) error.model = model
    throw error
  }
}
