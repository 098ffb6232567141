import type { ConsumerMetrics } from './types.js';
import { ShardState } from './types.js';
import { FAN_OUT_IDLE_EVENT_MS } from './constants.js';

/** States in which a shard is this worker's to read: a shard waiting for its parents is not behind yet. */
const READING_STATES: ReadonlySet<string> = new Set([ShardState.READING, ShardState.ENDING]);

/**
 * How far this worker is behind the tip of its stream, in ms: over the shards it reads, the
 * largest `MillisBehindLatest` of the last GetRecords plus the time since that answer. The second
 * term is what makes it the reader's own lag metric: a worker that stops reading (its scorer or
 * view writes stuck, its loop blocked) reports a lag that grows by the second, whereas the last
 * answer alone would stand still, and the stream's `GetRecords.IteratorAgeMilliseconds` mixes in
 * every other reader (Firehose). A healthy idle reader reports about one poll interval; 0 when it
 * reads no shard. A shard read by enhanced fan-out hears nothing between an idle shard's events
 * (`FAN_OUT_IDLE_EVENT_MS` apart), so only the silence past that counts.
 */
export function millisBehindLatest(metrics: Pick<ConsumerMetrics, 'shards'>, now: number): number {
  let worst = 0;
  for (const shard of metrics.shards) {
    if (!READING_STATES.has(shard.state) || shard.lastReadAt === undefined) continue;
    const expectedSilence = shard.readBy === 'SubscribeToShard' ? FAN_OUT_IDLE_EVENT_MS : 0;
    worst = Math.max(worst, (shard.millisBehindLatest ?? 0) + Math.max(0, now - shard.lastReadAt - expectedSilence));
  }
  return worst;
}
