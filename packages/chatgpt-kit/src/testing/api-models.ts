import { apiProblem, type ApiProblem } from './api-errors.js'

/** One entry of `GET /v1/models`. */
export interface ApiModelObject {
  id: string
  object: 'model'
  /** Unix seconds. */
  created: number
  owned_by: string
}

/** The model ids the Chat Completions API offers unless told otherwise (`TestBackendOptions.apiModels`). */
export const DEFAULT_API_MODELS: readonly string[] = Object.freeze(['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-5'])

// When the real list says these were created; any other id gets a fixed date, so lists are stable.
const CREATED: Readonly<Record<string, number>> = {
  'gpt-4o-mini': 1721172741,
  'gpt-4o': 1715367049,
  'gpt-4.1': 1744316542,
  'gpt-5': 1754425777
}
const OTHER_CREATED = 1700000000

/** The model object the API lists for `id`. */
export function apiModelObject(id: string): ApiModelObject {
  return { id, object: 'model', created: CREATED[id] ?? OTHER_CREATED, owned_by: 'system' }
}

/** The API's 404 for a model it does not offer, or `undefined` for one it does. */
export function unknownApiModel(id: string, offered: readonly string[]): ApiProblem | undefined {
  if (offered.includes(id)) return undefined
  const shown = id.length > 80 ? `${id.slice(0, 80)}…` : id
  return apiProblem(404, `The model \`${shown}\` does not exist or you do not have access to it.`, { code: 'model_not_found' })
}

/**
 * Whether `id` names a reasoning model (the o-series, gpt-5 but not gpt-5-chat): those refuse
 * `max_tokens` (they take `max_completion_tokens`) and any `temperature` or `top_p` but 1. A
 * client that sets `max_tokens` for every model works on gpt-4o and fails on these, so the
 * backend refuses it the same way.
 */
export function isReasoningModel(id: string): boolean {
  return /^o\d(?:-|$)/.test(id) || (/^gpt-5(?:[.-]|$)/.test(id) && !/^gpt-5(?:\.\d+)?-chat/.test(id))
}
