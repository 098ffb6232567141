/** A measured rate: how many items moved in how long. */
export interface Rate {
  readonly items: number;
  readonly seconds: number;
  /** items / seconds, rounded to a whole number. */
  readonly perSecond: number;
}

export function rate(items: number, elapsedMs: number): Rate {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  return { items, seconds: Math.round(seconds * 1000) / 1000, perSecond: Math.round(items / seconds) };
}

/** Runs `work` and returns its result with the wall time it took, in ms. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** Runs `task` over `items` with at most `limit` running at once, in order of the list. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
