/**
 * One round of a reply, below presentation: open the stream (`POST /conversation`, retried only
 * as the POST rule allows; protocol '2026' runs its whole send sequence instead, `send-2026.ts`),
 * then read it to the end. Shape-agnostic (the reader handles every shape) and knows no markdown:
 * the text it reports is the server's.
 */
import type { ConversationJSONBody, ConversationResponseEvent } from '../types.js'
import type { AuthSource } from './auth-source.js'
import { backendCall } from './backend-call.js'
import type { CallSignal } from './call-signal.js'
import type { ReplyState } from './reply.js'
import { readReplyStream } from './reply-stream.js'
import { eventStream } from './response-handlers.js'
import { sendRound2026 } from './send-2026.js'
import type { Protocol2026State } from './sentinel/protocol-2026-state.js'
import { withModel } from './with-model.js'
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
  /** Protocol '2026' (`send-2026.ts`); absent: the seed's single `POST /conversation`. */
  protocol2026?: Protocol2026State
}

export async function sendRound(context: SendContext, body: ConversationJSONBody): Promise<ReplyState> {
  if (context.protocol2026) return sendRound2026(context, context.protocol2026, body)
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

