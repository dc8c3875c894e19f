/**
 * Exponential backoff for transient errors. Defaults are seed 002 §11.2: 3 retries, 1 s initial
 * delay, 30 s maximum, multiplier 2.
 */
import { isTransient } from './errors.js'

export interface RetryPolicy {
  readonly maxRetries: number
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  readonly multiplier: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  multiplier: 2,
}

/** Delay before retry number `attempt` (1-based), with up to 20% random jitter below the nominal value. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1))
  return Math.round(nominal * (1 - 0.2 * random()))
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

export interface RetryEvents {
  /** Called before each wait, with the error and the retry number about to happen. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void
  signal?: AbortSignal
}

/**
 * Runs `operation`, retrying it after transient errors (see `isTransient`) up to `maxRetries` times.
 * Other errors, and the last transient one, are thrown as they are.
 */
export async function withRetries<T>(operation: () => Promise<T>, policy: RetryPolicy, events: RetryEvents = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      if (!isTransient(error) || attempt > policy.maxRetries || events.signal?.aborted) throw error
      const delayMs = backoffDelayMs(policy, attempt)
      events.onRetry?.(error, attempt, delayMs)
      await sleep(delayMs, events.signal)
    }
  }
}
