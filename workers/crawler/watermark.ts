/** Where a claim was made: which crawl, which run of it, which page of that run. */
export interface PageStamp {
  /** The crawl (a hash of the cursor item's name), so entries of another broker's crawl are never judged by this one's pages. */
  readonly crawl: string;
  /** The run: incremented each time a crawler starts on this crawl. */
  readonly epoch: number;
  /** The page within the run, from 0, in the order pages are prepared and committed. */
  readonly seq: number;
}

/** How many past runs' watermarks are kept; an entry of an older run counts as not yet put (a duplicate at worst). */
export const MAX_REMEMBERED_EPOCHS = 100;

/**
 * The publication watermark of a crawl. Pages are committed (every record on the stream) in the
 * order they are numbered, and the durable cursor is saved with the number of the next page
 * after each commit. So a ledger entry stamped with a page below the watermark of its run is on
 * the stream, with no second write per record to say so; an entry at or above it was claimed by
 * a page that never finished (a crash, a stop), and must be put again when its id comes back.
 */
export class Watermark {
  private next = 0;
  private committedBelow = 0;

  /**
   * @param finals each earlier run's watermark when it stopped (epoch → first page not committed)
   */
  public constructor(
    public readonly crawl: string,
    public readonly epoch: number,
    private readonly finals: Readonly<Record<string, number>>,
  ) {}

  /** Numbers the next page to prepare. */
  public stampNext(): PageStamp {
    const stamp = { crawl: this.crawl, epoch: this.epoch, seq: this.next };
    this.next += 1;
    return stamp;
  }

  /** A page's records are all on the stream; pages commit in order, so everything below it is too. */
  public committed(seq: number): void {
    this.committedBelow = Math.max(this.committedBelow, seq + 1);
  }

  /** The first page of this run not known to be committed; saved with the cursor. */
  public get committedUpTo(): number {
    return this.committedBelow;
  }

  /** True when the entry's page is known to be committed, so its record is on the stream. */
  public isPublished(stamp: PageStamp): boolean {
    if (stamp.crawl !== this.crawl) return false;
    if (stamp.epoch === this.epoch) return stamp.seq < this.committedBelow;
    if (stamp.epoch > this.epoch) return false;
    return stamp.seq < (this.finals[String(stamp.epoch)] ?? 0);
  }
}

/** Adds the run that just ended to the remembered ones, keeping the most recent. */
export function rememberFinal(finals: Readonly<Record<string, number>>, epoch: number, final: number): Record<string, number> {
  const merged: Record<string, number> = { ...finals, [String(epoch)]: final };
  const kept = Object.keys(merged)
    .map(Number)
    .sort((a, b) => b - a)
    .slice(0, MAX_REMEMBERED_EPOCHS);
  return Object.fromEntries(kept.map((e) => [String(e), merged[String(e)] as number]));
}
