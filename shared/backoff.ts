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

/** How a poller of something that is often empty waits between polls. */
export interface IdlePolicy {
  /** The wait while polls find something, or have not been empty for long, in ms. */
  readonly baseMs: number;
  /** The longest wait of a poller that keeps finding nothing, in ms (never below `baseMs`). */
  readonly maxMs: number;
  /** Empty polls in a row before the wait starts to grow. */
  readonly after: number;
}

/**
 * The wait before the next poll after `emptyPolls` empty ones in a row: `baseMs`, then doubling
 * per empty poll past `after`, up to `maxMs`. A quiet source costs a poll every `maxMs` instead of
 * every `baseMs`, while one with traffic (never `after` empty polls in a row) keeps the base pace.
 */
export function idleDelay(emptyPolls: number, policy: IdlePolicy): number {
  const past = emptyPolls - policy.after;
  if (past <= 0) return policy.baseMs;
  return Math.min(Math.max(policy.baseMs, policy.maxMs), policy.baseMs * 2 ** Math.min(past, 20));
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
