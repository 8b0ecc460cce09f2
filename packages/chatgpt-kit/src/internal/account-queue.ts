/**
 * One reply in flight per account: the backend refuses a second concurrent
 * message with 429 "Only one message at a time", so calls wait their turn here instead, in order.
 */
import { ChatGPTError } from '../errors.js'
import type { CallSignal } from './call-signal.js'

/** Starts a waiting call. */
type Waiter = () => void

export class AccountQueue {
  private busy = false
  private readonly waiting: Waiter[] = []

  /** @param maxWaiting - How many calls may wait behind the running one. */
  constructor(private readonly maxWaiting: number) {}

  /** How many calls are waiting for their turn. */
  get size(): number {
    return this.waiting.length
  }

  /**
   * Runs `task` when every call queued before it has finished. While it waits, the call's own
   * timeout and abort still apply, and a call that gives up leaves the queue at once.
   *
   * @param onWait - Told how many calls are ahead when this one has to wait (a `debug` line).
   */
  async run<T>(call: CallSignal, onWait: (ahead: number) => void, task: () => Promise<T>): Promise<T> {
    if (this.busy) {
      onWait(this.waiting.length + 1)
      await this.wait(call)
    } else {
      this.busy = true
    }
    try {
      return await task()
    } finally {
      this.next()
    }
  }

  private wait(call: CallSignal): Promise<void> {
    call.throwIfAborted()
    if (this.waiting.length >= this.maxWaiting) {
      throw new ChatGPTError(
        `Too many messages are waiting for this account (${this.maxWaiting}); try again when some have finished`,
        { code: 'queue_full' }
      )
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter)
        if (index !== -1) this.waiting.splice(index, 1)
        reject(call.reason)
      }
      const waiter: Waiter = () => {
        call.signal.removeEventListener('abort', onAbort)
        resolve()
      }
      call.signal.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(waiter)
    })
  }

  /** Hands the account to the next waiter, or marks it free. */
  private next(): void {
    const waiter = this.waiting.shift()
    if (waiter) waiter()
    else this.busy = false
  }
}
