/** Events per second over a sliding window of one-second buckets. */
export class RateMeter {
  private readonly buckets = new Map<number, number>();

  /** @param windowSeconds how far back the rate looks */
  public constructor(
    private readonly windowSeconds = 10,
    private readonly now: () => number = Date.now,
  ) {}

  public add(count: number): void {
    const second = Math.floor(this.now() / 1000);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + count);
    this.prune(second);
  }

  public perSecond(): number {
    const second = Math.floor(this.now() / 1000);
    this.prune(second);
    let sum = 0;
    for (const [at, count] of this.buckets) if (at > second - this.windowSeconds) sum += count;
    return Math.round((sum / this.windowSeconds) * 10) / 10;
  }

  private prune(second: number): void {
    for (const at of this.buckets.keys()) if (at <= second - this.windowSeconds) this.buckets.delete(at);
  }
}
