import { ChatGPTError } from '../errors.js'

/** A refusal of the message carries its model: a rate limit may be that model's cap alone. */
export async function withModel<T>(model: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof ChatGPTError && error.code === 'rate_limited' && model) error.model = model
    throw error
  }
}
