/**
 * A token bucket: at most `perSecond` units a second, with bursts up to `burst`. Replay takes one
 * token per record and (from a second bucket) one per byte, so it stays within what the stream's
 * shards accept (1,000 records and 1 MiB a second each) instead of leaning on throttling retries.
 */
export class Pacer {
  private tokens: number;
  private last: number;

  public constructor(
    private readonly perSecond: number,
    private readonly burst: number = perSecond,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0)) throw new RangeError(`perSecond must be positive, got ${perSecond}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be at least 1, got ${burst}`);
    this.tokens = burst;
    this.last = this.now();
  }

  /** How long to wait, in ms, before `units` may go; takes them (the bucket may go negative). */
  public reserve(units = 1): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    this.tokens -= units;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.perSecond;
  }

  /**
   * Resolves when `units` may go. Waits shorter than `minSleepMs` are not slept but carried as
   * debt (the bucket goes negative), so the long-run rate stays exact even though timers cannot
   * sleep for a fraction of a millisecond.
   */
  public async take(units = 1, minSleepMs = 10): Promise<void> {
    const wait = this.reserve(units);
    if (wait >= minSleepMs) await new Promise((r) => setTimeout(r, wait));
  }
}
