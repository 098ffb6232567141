import type { LaneName } from '../../shared/schemas/transaction-change.js';
import type { Projector, ProjectorHealth } from './projector.js';
import type { WriterStats } from './view-writer.js';

/** The role's health: what the view got from both lanes (the writers' figures summed), and each lane's own report. */
export interface ProjectorRoleHealth {
  readonly leasesHeld: number;
  readonly rejected: number;
  readonly writer: WriterStats;
  readonly lanes: Readonly<Record<LaneName, ProjectorHealth>>;
}

function sum(a: WriterStats, b: WriterStats): WriterStats {
  return {
    writes: a.writes + b.writes,
    written: a.written + b.written,
    repeated: a.repeated + b.repeated,
    requests: a.requests + b.requests,
    retries: a.retries + b.retries,
    consumedWru: a.consumedWru + b.consumedWru,
  };
}

/** Throws (the check fails) when either lane's projector is unhealthy. */
export function roleHealth(projectors: Readonly<Record<LaneName, Projector>>): ProjectorRoleHealth {
  const live = projectors.live.health();
  const history = projectors.history.health();
  return { leasesHeld: live.leasesHeld + history.leasesHeld, rejected: live.rejected + history.rejected, writer: sum(live.writer, history.writer), lanes: { live, history } };
}
