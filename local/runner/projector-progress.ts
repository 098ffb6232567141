import type { LaneName } from '../../shared/schemas/transaction-change.js';
import type { LocalPipeline } from './pipeline.js';

/**
 * Versions the projectors wrote into the view so far, from their /health counters: no table read,
 * so it can be asked every few hundred milliseconds while the run is measured. Versions, not
 * transactions: a redelivery or a replay counts again, so it says when the view may be complete,
 * and a scan says whether it is. With `lane`, only that lane's writer counts (the feed's records
 * are the live lane's; a sign-up wave's history writes would otherwise look like them).
 */
export async function writtenByProjectors(pipeline: LocalPipeline, lane?: LaneName): Promise<number> {
  const bodies = await Promise.all(pipeline.workers('projector').map((w) => w.health()));
  return bodies.reduce((sum, body) => {
    const details = body?.['details'] as { projector?: { writer?: { written?: number }; lanes?: Partial<Record<LaneName, { writer?: { written?: number } }>> } } | undefined;
    const writer = lane === undefined ? details?.projector?.writer : details?.projector?.lanes?.[lane]?.writer;
    return sum + (writer?.written ?? 0);
  }, 0);
}
