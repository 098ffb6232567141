import type { LocalPipeline } from './pipeline.js';

/**
 * Versions the projectors wrote into the view so far, from their /health counters: no table read,
 * so it can be asked every few hundred milliseconds while the run is measured. Versions, not
 * transactions: a redelivery or a replay counts again, so it says when the view may be complete,
 * and a scan says whether it is.
 */
export async function writtenByProjectors(pipeline: LocalPipeline): Promise<number> {
  const bodies = await Promise.all(pipeline.workers('projector').map((w) => w.health()));
  return bodies.reduce((sum, body) => {
    const details = body?.['details'] as { projector?: { writer?: { written?: number } } } | undefined;
    return sum + (details?.projector?.writer?.written ?? 0);
  }, 0);
}
