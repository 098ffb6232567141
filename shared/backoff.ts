/** Exponential back-off with full jitter, and a sleep that ends early when its signal aborts. */

export interface BackoffPolicy {
  /** Delay ceiling for the first retry, in ms. */
  readonly baseMs: number;
  /** No delay is ever longer than this, in ms. */
  readonly maxMs: number;
}

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): a uniform delay in
 * [0, min(max, base * 2^(attempt-1))]. Spreading retries this way keeps many clients that failed
 * together from retrying together.
 *
 * @param attempt 1 for the first retry
 * @param random a source in [0, 1); injectable so tests are deterministic
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
