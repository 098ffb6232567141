import type { RunProgress } from '../../local/runner/run-local.js';

/**
 * The status line, in one unit (records), with the rate into the view over the last `windowMs`.
 * Count and rate both come from `inViewEstimate` (exact at a read of the view, the projectors'
 * count in between, marked `~`), so the rate never mixes the two.
 */
export function statusLine(windowMs = 10_000): (p: RunProgress) => string {
  const samples: { inView: number; at: number }[] = [];
  return (p) => {
    samples.push({ inView: p.inViewEstimate, at: p.elapsedMs });
    while (samples.length > 2 && samples[0]!.at < p.elapsedMs - windowMs) samples.shift();
    const first = samples[0]!;
    const rate = p.elapsedMs > first.at ? ((p.inViewEstimate - first.inView) * 1000) / (p.elapsedMs - first.at) : undefined;
    return `records: served ${p.served}  in view ${p.inViewEstimate === p.inView ? '' : '~'}${p.inViewEstimate}/${p.expected}${rate === undefined ? '' : ` (${Math.round(rate)}/s)`}  rejected ${p.rejected}  waiting to be scored ${p.queue.waiting + p.queue.active} batches`;
  };
}
