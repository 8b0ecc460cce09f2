/**
 * What a reply reports beyond its text and ids (the optional fields of `ChatGPTReply` that 2026
 * streams fill in), and how they join across the rounds of one reply (`autoContinue`).
 */
import type { ChatGPTReply } from '../types.js'
import type { ReplyState } from './reply.js'

/** The optional fields a reply's state has: only those set, so older shapes give the same object as before. */
export type ReplyExtras = Pick<ChatGPTReply, 'title' | 'reasoning' | 'moderated'>

/** The fields of {@link ReplyExtras} that `state` has. */
export function replyExtras(state: ReplyState): ReplyExtras {
  const extras: ReplyExtras = {}
  if (state.title !== undefined) extras.title = state.title
  if (state.reasoning !== undefined) extras.reasoning = state.reasoning
  if (state.moderated !== undefined) extras.moderated = state.moderated
  return extras
}

/**
 * The extras of a reply continued in another round: the later title, both rounds' reasoning, and
 * a moderation flag raised in either.
 */
export function joinedExtras(earlier: ReplyState, later: ReplyState): ReplyExtras {
  const extras = replyExtras(later)
  if (extras.title === undefined && earlier.title !== undefined) extras.title = earlier.title
  if (earlier.reasoning !== undefined) {
    extras.reasoning = later.reasoning === undefined ? earlier.reasoning : `${earlier.reasoning}\n\n${later.reasoning}`
  }
  if (earlier.moderated !== undefined) extras.moderated = earlier.moderated || later.moderated === true
  return extras
}
