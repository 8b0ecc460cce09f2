/** A failed request (not an abort) as a ChatGPTError. */
import { ChatGPTError } from '../errors.js'
import { sanitizeServerText } from './redact.js'

/** A network failure (not an abort) as a ChatGPTError, naming the low-level cause. */
export function networkError(error: unknown, partialText?: string): ChatGPTError {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  const detail = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error)
  return new ChatGPTError(`ChatGPT request failed: ${sanitizeServerText(String(detail), 120)}`, {
    code: 'network',
    originalError: error,
    partialText
  })
}

