import type { RequestProblem } from './conversation-request.js'

/** One entry of `GET /backend-api/models`. */
export interface ModelEntry {
  slug: string
  max_tokens: number
  title: string
  description: string
  tags: string[]
  is_special: boolean
}

// What the real list said about the slugs it offered (2023-24, and `auto` since 2025).
const DESCRIBED: readonly ModelEntry[] = [
  { slug: 'text-davinci-002-render-sha', max_tokens: 8191, title: 'Default (GPT-3.5)', description: 'Optimized for speed.', tags: ['gpt3.5'], is_special: false },
  { slug: 'text-davinci-002-render', max_tokens: 4097, title: 'Legacy (GPT-3.5)', description: 'The original ChatGPT model.', tags: [], is_special: false },
  { slug: 'gpt-4', max_tokens: 4095, title: 'GPT-4', description: 'Our most capable model, great for tasks that require creativity and advanced reasoning.', tags: ['gpt4'], is_special: false },
  { slug: 'gpt-4o', max_tokens: 8191, title: 'GPT-4o', description: 'Newest and most advanced model.', tags: ['gpt4o'], is_special: false },
  { slug: 'auto', max_tokens: 8191, title: 'Auto', description: 'Decides how long to think.', tags: [], is_special: false }
]

/** The slugs the backend offers unless told otherwise (`TestBackendOptions.models`). */
export const DEFAULT_MODEL_SLUGS: readonly string[] = DESCRIBED.map((model) => model.slug)

/**
 * The model a request that names none is answered with: the seed client's default when it is
 * offered, otherwise the first model offered.
 */
export function defaultModel(offered: readonly string[]): string {
  return offered.includes('text-davinci-002-render') ? 'text-davinci-002-render' : offered[0]!
}

/** The models endpoint's list for these slugs: the known ones described, others by their slug. */
export function modelEntries(slugs: readonly string[]): ModelEntry[] {
  return slugs.map(
    (slug) =>
      DESCRIBED.find((model) => model.slug === slug) ?? {
        slug,
        max_tokens: 8191,
        title: slug,
        description: '',
        tags: [],
        is_special: false
      }
  )
}

/**
 * The refusal of a slug the backend does not offer, or `undefined` for one it does. The real
 * service refuses unknown slugs rather than answer with some other model; the answer follows the
 * backend's `{detail: {message, code}}` form and names the slugs that would work, so a typo is
 * easy to fix.
 */
export function unknownModel(slug: string, offered: readonly string[]): RequestProblem | undefined {
  if (offered.includes(slug)) return undefined
  const shown = JSON.stringify(slug.length > 80 ? `${slug.slice(0, 80)}…` : slug)
  return {
    status: 404,
    message: `The model ${shown} does not exist or you do not have access to it. Available models: ${offered.join(', ')}.`,
    code: 'model_not_found'
  }
}
