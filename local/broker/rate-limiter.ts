/**
 * A token bucket: `ratePerSecond` requests a second on average, `burst` at once after a quiet
 * spell. A refused request costs nothing, so a client that waits out `Retry-After` gets through.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  public constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes a token; when none is left, says how long until one is (ms). */
  public take(): { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number } {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: ((1 - this.tokens) / this.ratePerSecond) * 1000 };
  }
}

/** `Retry-After` is whole seconds (RFC 9110 §10.2.3); round up so a client never comes back early. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
