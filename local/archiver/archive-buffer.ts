/** One record waiting to be archived. */
export interface BufferedRecord {
  /** The record's data, exactly as the producer put it. */
  readonly data: Uint8Array;
  /** Kinesis's approximate arrival time; the object's key carries its oldest. */
  readonly arrival: Date;
}

/** Writes one object; rejects to fail the records in it (the consumer then reads them again). */
export type WriteObject = (records: readonly BufferedRecord[]) => Promise<void>;

export interface ArchiveBufferOptions {
  /** Flush when this many bytes (data plus one newline per record, before GZIP) are buffered. */
  readonly maxBytes: number;
  /** Flush when the oldest buffered record has waited this long, in ms. */
  readonly intervalMs: number;
  readonly write: WriteObject;
}

interface Waiter {
  remaining: number;
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

interface Entry {
  readonly record: BufferedRecord;
  readonly waiter: Waiter;
}

/**
 * Firehose's buffering, locally: records collect until `maxBytes` of them are waiting (then exactly
 * that much goes into one object, the rest waits for the next) or the oldest has waited
 * `intervalMs`; objects are written one at a time, in arrival order. `add()` resolves only when
 * every record it added is in a written object, which is what lets the consumer checkpoint after
 * the write and never before.
 */
export class ArchiveBuffer {
  private entries: Entry[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private immediate = false;
  private written = { objects: 0, records: 0, bytes: 0 };

  public constructor(private readonly options: ArchiveBufferOptions) {}

  /** Buffers records; resolves when all of them are written, rejects if their object failed. */
  public add(records: readonly BufferedRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { remaining: records.length, settled: false, resolve, reject };
      for (const record of records) {
        this.entries.push({ record, waiter });
        this.bytes += record.data.byteLength + 1;
      }
      while (this.bytes >= this.options.maxBytes) this.cut(this.takeUpTo(this.options.maxBytes));
      if (this.immediate) this.flushNow();
      else if (this.entries.length > 0 && this.timer === undefined) {
        this.timer = setTimeout(() => this.flushNow(), this.options.intervalMs);
      }
    });
  }

  /** Writes whatever is buffered now; resolves when it (and every earlier object) is written. */
  public flush(): Promise<void> {
    this.flushNow();
    return this.chain;
  }

  /** From now on every `add()` is written at once (for shutdown); then flushes. */
  public drainMode(): Promise<void> {
    this.immediate = true;
    return this.flush();
  }

  public get buffered(): { readonly records: number; readonly bytes: number } {
    return { records: this.entries.length, bytes: this.bytes };
  }

  public get totals(): { readonly objects: number; readonly records: number; readonly bytes: number } {
    return { ...this.written };
  }

  private flushNow(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.entries.length > 0) this.cut(this.takeUpTo(Infinity));
  }

  /** The oldest entries up to `limit` bytes (always at least one). */
  private takeUpTo(limit: number): Entry[] {
    let size = 0;
    let count = 0;
    for (const entry of this.entries) {
      const next = size + entry.record.data.byteLength + 1;
      if (count > 0 && next > limit) break;
      size = next;
      count += 1;
    }
    const taken = this.entries.slice(0, count);
    this.entries = this.entries.slice(count);
    this.bytes -= size;
    if (this.entries.length === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return taken;
  }

  private cut(entries: Entry[]): void {
    if (entries.length === 0) return;
    // Objects are written one after another so keys and checkpoints follow arrival order.
    this.chain = this.chain.then(async () => {
      try {
        await this.options.write(entries.map((e) => e.record));
        this.written.objects += 1;
        this.written.records += entries.length;
        this.written.bytes += entries.reduce((n, e) => n + e.record.data.byteLength + 1, 0);
        for (const { waiter } of entries) {
          waiter.remaining -= 1;
          if (waiter.remaining === 0 && !waiter.settled) {
            waiter.settled = true;
            waiter.resolve();
          }
        }
      } catch (error) {
        for (const { waiter } of entries) {
          if (!waiter.settled) {
            waiter.settled = true;
            waiter.reject(error);
          }
        }
      }
    });
  }
}
