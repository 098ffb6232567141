import { BatchAbortedError } from './errors.js';

/** Gives a slot back; calling it twice gives back one slot. */
export type ReleaseSlot = () => void;

interface Waiter {
  readonly grant: (release: ReleaseSlot) => void;
}

/**
 * A counting semaphore with FIFO hand-out, for the scoring jobs one shard may have outstanding.
 * FIFO matters: earlier batches hold the shard's low watermark, so they get slots first.
 */
export class SlotLimiter {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  public constructor(
    public readonly capacity: number,
    private readonly shardId: string,
  ) {}

  public get inUse(): number {
    return this.used;
  }

  public get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function once a slot is free; rejects with `BatchAbortedError` when `signal` aborts first. */
  public acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted === true) return Promise.reject(new BatchAbortedError(this.shardId, { cause: signal.reason }));
    if (this.used < this.capacity && this.waiters.length === 0) {
      this.used += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new BatchAbortedError(this.shardId, { cause: signal?.reason }));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter, so the count does not change.
      if (next !== undefined) next.grant(this.releaser());
      else this.used -= 1;
    };
  }
}
