/**
 * The one rule for which messages a person sees, in a stream (the reply) and in a history alike.
 */
import type { Message } from '../types.js'

/**
 * Whether a message shows in the chat: user or assistant text addressed to everyone, on no
 * channel or the `final` one. Hidden system messages, tool calls and tool output, thoughts
 * (`content_type: "thoughts"`) and an assistant's `analysis`/`commentary` channels (2025–26
 * reasoning models) are part of the tree but not of the chat.
 */
export function visibleRole(message: Message | null | undefined): 'user' | 'assistant' | undefined {
  if (!message || typeof message !== 'object') return undefined
  const role = message.author?.role ?? message.role
  if (role !== 'user' && role !== 'assistant') return undefined
  // `Role` is an open string union, which a comparison does not narrow.
  const shown = role as 'user' | 'assistant'
  if ((message.recipient ?? 'all') !== 'all') return undefined
  if ((message.content?.content_type ?? 'text') !== 'text') return undefined
  if (message.metadata?.is_visually_hidden_from_conversation === true) return undefined
  const channel = message.channel
  if (channel !== undefined && channel !== null && channel !== 'final') return undefined
  return shown
}
