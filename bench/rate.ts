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
