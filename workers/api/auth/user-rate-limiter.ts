export interface UserRateLimiterOptions {
  /** Tokens added per second to each user's bucket. */
  readonly ratePerSecond: number;
  /** Bucket size: requests one user may make at once. */
  readonly burst: number;
  /**
   * Buckets kept before full ones are dropped (a full bucket holds nothing a new one would not).
   * @default 10000
   */
  readonly maxTrackedUsers?: number;
  /** @default performance.now */
  readonly now?: () => number;
}

/** The answer for one request: allowed, or how long until it would be. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per user, in this process. API Gateway HTTP APIs throttle per route and stage,
 * never per caller, so this is where one user's share is bounded; with N tasks behind the load
 * balancer a user gets at most N times the rate (see workers/api/README.md).
 *
 * @example
 * const limiter = new UserRateLimiter({ ratePerSecond: 10, burst: 20 });
 * if (!limiter.take(userId).allowed) answer429();
 */
export class UserRateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  public constructor(options: UserRateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be above 0, got ${options.ratePerSecond}`);
    if (!(options.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${options.burst}`);
    this.rate = options.ratePerSecond;
    this.burst = options.burst;
    this.maxTracked = options.maxTrackedUsers ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Spends one request of `userId`'s bucket if it has one. */
  public take(userId: string): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(userId) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    if (!this.buckets.has(userId)) {
      if (this.buckets.size >= this.maxTracked) this.dropFull(now);
      this.buckets.set(userId, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate)) };
  }

  /** Users with a bucket right now (for /health). */
  public get trackedUsers(): number {
    return this.buckets.size;
  }

  private dropFull(now: number): void {
    for (const [user, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.rate >= this.burst) this.buckets.delete(user);
    }
  }
}
