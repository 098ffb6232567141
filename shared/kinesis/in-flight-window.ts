/**
 * The per-shard read-ahead window and its low watermark. Batches enter in sequence order and may
 * complete in any order; the watermark is the last sequence number of the longest done prefix:
 * that record and every earlier one are done, so a checkpoint there loses nothing. Records count
 * against the window until the watermark passes them, so one stuck batch stops reading ahead
 * (bounding what a failover would process again). Pure.
 */
export interface WindowEntry {
  readonly lastSequenceNumber: string;
  readonly size: number;
  done: boolean;
}

export class InFlightWindow {
  private readonly entries: WindowEntry[] = [];
  private records = 0;
  private low: string | undefined;

  public constructor(initialWatermark?: string) {
    this.low = initialWatermark;
  }

  /** Records read and not yet passed by the watermark. */
  public get recordsInFlight(): number {
    return this.records;
  }

  public get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** Undefined until the first batch is done (and no initial watermark was given). */
  public get watermark(): string | undefined {
    return this.low;
  }

  public add(lastSequenceNumber: string, size: number): WindowEntry {
    const entry: WindowEntry = { lastSequenceNumber, size, done: false };
    this.entries.push(entry);
    this.records += size;
    return entry;
  }

  /** Marks a batch done; returns how many records the watermark passed (0 when it did not move). */
  public complete(entry: WindowEntry): number {
    entry.done = true;
    let passed = 0;
    while (this.entries[0]?.done === true) {
      const head = this.entries.shift() as WindowEntry;
      this.low = head.lastSequenceNumber;
      passed += head.size;
    }
    this.records -= passed;
    return passed;
  }
}
