/**
 * A Chat Completions transcript, as the web backend takes it: a follow-up of a conversation this
 * gateway answered sends only the new message (as the web app does); any other history goes in
 * one message, the transcript written out with its roles.
 */
import { createHash } from 'node:crypto'

import type { TranscriptMessage } from './chat-request.js'

/**
 * A transcript split where the gateway may continue it: everything up to and including the last
 * assistant message (what it may have answered), and the user messages after it. `undefined` when
 * there is no earlier assistant message, or the new part is not only user messages (a system
 * message after the reply changes the instructions: that is a new conversation).
 */
export function splitFollowUp(messages: readonly TranscriptMessage[]): { answered: TranscriptMessage[]; newText: string } | undefined {
  let last = messages.length - 1
  while (last >= 0 && messages[last]!.role !== 'assistant') last--
  if (last < 0) return undefined
  const newPart = messages.slice(last + 1)
  if (newPart.length === 0 || newPart.some((message) => message.role !== 'user')) return undefined
  return { answered: messages.slice(0, last + 1), newText: newPart.map((message) => message.content).join('\n\n') }
}

/**
 * The one message that starts a new conversation: a lone user message as it is; anything more
 * written out with a role header per message, which the model reads as the conversation so far.
 */
export function promptOf(messages: readonly TranscriptMessage[]): string {
  if (messages.length === 1) return messages[0]!.content
  return messages.map((message) => `[${message.role}]\n${message.content}`).join('\n\n')
}

/**
 * The key under which the gateway remembers a transcript it answered (its reply included). It
 * hashes the caller's scope (which API key) with the messages, so that one key's clients can
 * never continue another key's conversations, and the store holds no text of them.
 */
export function transcriptKey(scope: string, messages: readonly TranscriptMessage[]): string {
  const hash = createHash('sha256')
  hash.update(`chatgpt-kit-gateway transcript v1\n${scope.length}:${scope}`)
  // Length-prefixed, so that no two different transcripts write the same bytes.
  for (const { role, content } of messages) hash.update(`\n${role}:${content.length}:${content}`)
  return `gateway-transcript:${hash.digest('hex')}`
}
