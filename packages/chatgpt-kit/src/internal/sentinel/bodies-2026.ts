/**
 * The bodies of a 2026 turn (PROTOCOL-2026.md §5, §6), made from the seed's body of the action
 * (`action-bodies.ts`): the same action, ids, model and message, in today's web client's form and
 * with the fields it adds. Fields the sources disagree on are chosen as noted.
 */
import type { ConversationJSONBody } from '../../types.js'
import { type BrowserProfile, timezoneOffsetMin } from './browser-profile.js'

/** The parent of a new conversation's first message in 2025–26 web clients (§6, S5, S9). */
export const CREATED_ROOT = 'client-created-root'

/** What every 2026 body says about the client and the turn, beside the action. */
function turnFields(profile: BrowserProfile, now: Date) {
  return {
    timezone_offset_min: timezoneOffsetMin(profile.timeZone, now),
    timezone: profile.timeZone,
    conversation_mode: { kind: 'primary_assistant' },
    system_hints: [],
    supports_buffering: true,
    supported_encodings: ['v1'],
    client_contextual_info: { app_name: 'chatgpt.com' }
  }
}

/**
 * The send's body (§6). `client_prepare_state` ⚠ contradicted in the sources: `'success'` after a
 * conduit prepare, as S8 read it from the 2026-09 bundle; left out on the legacy path, which has
 * no prepare.
 */
export function sendBody2026(
  body: ConversationJSONBody,
  profile: BrowserProfile,
  viaConduit: boolean,
  now: Date = new Date()
): Record<string, unknown> {
  const { messages, ...rest } = body
  return {
    ...rest,
    ...(messages && {
      messages: messages.map((message) => ({
        id: message.id,
        author: { role: message.role },
        create_time: now.getTime() / 1000,
        content: message.content,
        metadata: {
          selected_github_repos: [],
          selected_all_github_repos: false,
          serialization_metadata: { custom_symbol_offsets: [] }
        }
      }))
    }),
    ...turnFields(profile, now),
    enable_message_followups: true,
    paragen_cot_summary_display_override: 'allow',
    force_parallel_switch: 'auto',
    ...(viaConduit && { client_prepare_state: 'success' })
  }
}

/**
 * The conduit prepare's body (§5): the turn without its message, plus `partial_query` (the user
 * message, when the action has one) and `client_prepare_state: 'none'` (the state before the
 * prepare, as S8 read it from the bundle; ⚠ S7 sends `'success'`).
 */
export function conduitPrepareBody(
  body: ConversationJSONBody,
  profile: BrowserProfile,
  now: Date = new Date()
): Record<string, unknown> {
  const message = body.messages?.[0]
  return {
    action: body.action,
    fork_from_shared_post: false,
    parent_message_id: body.parent_message_id,
    ...(body.conversation_id !== undefined && { conversation_id: body.conversation_id }),
    model: body.model,
    ...turnFields(profile, now),
    ...(message && {
      partial_query: { id: message.id, author: { role: message.role }, content: message.content }
    }),
    client_prepare_state: 'none'
  }
}
