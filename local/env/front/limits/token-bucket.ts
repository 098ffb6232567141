/**
 * A per-second allowance as AWS applies its per-shard and per-partition limits: `ratePerSecond`
 * units come back continuously, at most one second's worth is banked (the burst a fresh or idle
 * shard allows), and a spend may take the balance below zero (a GetRecords answer's bytes are
 * known only afterwards: AWS then refuses the shard's reads until the debt is paid back).
 */
export class TokenBucket {
  private balance: number;
  private at: number;

  /**
   * @param ratePerSecond units per second (records, bytes, calls, capacity units)
   * @param now epoch milliseconds when the bucket starts full
   * @param capacity most units banked @default ratePerSecond (one second's worth)
   */
  public constructor(
    public readonly ratePerSecond: number,
    now: number,
    public readonly capacity: number = ratePerSecond,
  ) {
    this.balance = capacity;
    this.at = now;
  }

  /** Units available at `now` (negative while a debt is paid back). */
  public available(now: number): number {
    this.refill(now);
    return this.balance;
  }

  /** Spends `units` if that many are available; false (and nothing spent) otherwise. */
  public tryTake(units: number, now: number): boolean {
    this.refill(now);
    if (this.balance < units) return false;
    this.balance -= units;
    return true;
  }

  /** Spends `units` whatever the balance: a cost known only after the fact. */
  public charge(units: number, now: number): void {
    this.refill(now);
    this.balance -= units;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.balance = Math.min(this.capacity, this.balance + ((now - this.at) / 1000) * this.ratePerSecond);
      this.at = now;
    }
  }
}
