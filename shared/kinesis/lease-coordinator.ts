import type { ChildShard } from '@aws-sdk/client-kinesis';
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import { sleep } from '../backoff.js';
import type { ResolvedConsumerOptions } from './consumer-options.js';
import { LeaseLostError } from './errors.js';
import type { Lease, WorkerBeat } from './lease.js';
import { WORKER_KEY_PREFIX } from './lease.js';
import { ExpiryTracker, chooseLeases, classifyLeases, isFinished } from './lease-balancer.js';
import type { LeaseStore } from './lease-store.js';
import { childShardInfo, generations, planNewLeases, shardInfo } from './shard-graph.js';
import type { NewLease } from './shard-graph.js';
import type { LeaseAccess } from './shard-processor.js';
import { listAllShards } from './shard-lister.js';

/** A heartbeat seen as a lease, so the same expiry tracker watches both. */
function beatAsLease(beat: WorkerBeat): Lease {
  return { leaseKey: `${WORKER_KEY_PREFIX}${beat.workerId}`, owner: beat.workerId, counter: beat.counter, checkpoint: '', checkpointSubSequenceNumber: 0, parentShardIds: [], ownerSwitchesSinceCheckpoint: 0 };
}

interface HeldLease {
  lease: Lease;
  /** When the last successful write of this lease started (local clock). */
  renewedAt: number;
  /** Writes of one lease run one after another: each is conditional on the previous counter. */
  chain: Promise<unknown>;
}

export interface CoordinatorEvents {
  acquired(lease: Lease): void;
  lost(shardId: string, reason: string): void;
}

export interface LeaseCounters {
  taken: number;
  stolen: number;
  lost: number;
  released: number;
}

/** Runs `fn` every `intervalMs` after the previous run ends, one run at a time, until stopped. */
class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();
  private running = false;
  private again = false;
  private stopped = false;

  public constructor(
    private readonly intervalMs: number,
    private readonly fn: () => Promise<void>,
  ) {}

  public schedule(delay = this.intervalMs): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = true;
      this.current = this.fn().finally(() => {
        this.running = false;
        const soon = this.again;
        this.again = false;
        this.schedule(soon ? 0 : this.intervalMs);
      });
    }, delay);
  }

  /** Runs as soon as possible: now if idle, else right after the run in progress. */
  public runSoon(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.current;
  }
}

/**
 * The lease side of a consumer, KCL's LeaseCoordinator in small: periodic passes that read the
 * lease table, create leases for new shards, take free and expired leases up to a fair share and
 * steal at most one for balance; renewals at about a third of the failover time; and the
 * conditional checkpoint and release writes of held leases.
 */
export class LeaseCoordinator implements LeaseAccess {
  private readonly held = new Map<string, HeldLease>();
  private readonly tracker = new ExpiryTracker();
  private readonly ends = new EventEmitter();
  private readonly passes: Ticker;
  private readonly renewals: Ticker;
  private readonly log: Logger;
  private lastSyncAt = 0;
  private passChain: Promise<void> = Promise.resolve();
  private taking = true;
  private retired = false;
  public readonly counters: LeaseCounters = { taken: 0, stolen: 0, lost: 0, released: 0 };

  public constructor(
    private readonly store: LeaseStore,
    private readonly options: ResolvedConsumerOptions,
    private readonly events: CoordinatorEvents,
  ) {
    this.log = options.logger;
    this.passes = new Ticker(options.leasePassIntervalMs, () => this.safePass());
    this.renewals = new Ticker(options.renewIntervalMs, () => this.renewAll());
    this.ends.setMaxListeners(0);
    // A shard that ended here makes its children takeable: take them now, not a pass later.
    this.ends.on('end', () => this.passes.runSoon());
  }

  public get heldCount(): number {
    return this.held.size;
  }

  public heldShardIds(): string[] {
    return [...this.held.keys()].sort();
  }

  /** Heartbeat, first shard sync and lease pass (errors reach the caller), then the timers. */
  public async start(): Promise<void> {
    await this.store.heartbeat(this.options.workerId);
    await this.pass();
    this.passes.schedule();
    this.renewals.schedule();
  }

  /** No more passes (no new leases); renewals go on so held leases survive a long shutdown. */
  public async stopTaking(): Promise<void> {
    this.taking = false;
    await this.passes.stop();
  }

  /**
   * Removes this worker's heartbeat (and stops renewing it) before its leases are released, so
   * the pass that sees them free already shares them among the others only.
   */
  public async retire(): Promise<void> {
    this.retired = true;
    await this.store.deleteWorker(this.options.workerId);
  }

  public async stopRenewing(): Promise<void> {
    await this.renewals.stop();
  }

  /** Frees leases still held with no processor (normally none: processors release their own). */
  public async releaseAll(): Promise<void> {
    await Promise.all(this.heldShardIds().map((id) => this.checkpoint(id, undefined, true).catch((error: unknown) => this.log.warn({ err: error, shardId: id }, 'release failed'))));
  }

  // ---- LeaseAccess --------------------------------------------------------------------------

  public isHeld(shardId: string): boolean {
    const held = this.held.get(shardId);
    return held !== undefined && Date.now() - held.renewedAt < this.options.failoverTimeMs;
  }

  public async checkpoint(shardId: string, checkpoint: string | undefined, release: boolean): Promise<void> {
    await this.withLease(shardId, async (held) => {
      const started = Date.now();
      try {
        held.lease = await this.store.checkpoint(held.lease, this.options.workerId, checkpoint, release);
        held.renewedAt = started;
      } catch (error) {
        if (error instanceof LeaseLostError) this.markLost(shardId, error.message);
        throw error;
      }
      if (release) {
        this.held.delete(shardId);
        this.counters.released += 1;
        if (checkpoint === 'SHARD_END') this.ends.emit('end', shardId);
      }
    });
  }

  public abandon(shardId: string, reason: string): void {
    this.markLost(shardId, reason);
  }

  /** True while the lease is in this worker's held set (renewed or not). */
  public holds(shardId: string): boolean {
    return this.held.has(shardId);
  }

  public getLease(shardId: string): Promise<Lease | undefined> {
    return this.store.get(shardId);
  }

  public async createChildLeases(shardId: string, childShards: readonly ChildShard[] | undefined): Promise<void> {
    if (childShards !== undefined && childShards.length > 0) {
      const existing = new Set((await this.store.list()).map((l) => l.leaseKey));
      existing.add(shardId);
      await this.createLeases(planNewLeases(childShards.map(childShardInfo), existing, this.options.initialPosition));
      return;
    }
    await this.syncShards();
  }

  public waitForShardEnd(shardIds: readonly string[], ms: number, signal: AbortSignal): Promise<void> {
    const local = new AbortController();
    const onEnd = (id: string): void => {
      if (shardIds.includes(id)) local.abort();
    };
    const onAbort = (): void => local.abort();
    this.ends.on('end', onEnd);
    signal.addEventListener('abort', onAbort, { once: true });
    return sleep(ms, local.signal).finally(() => {
      this.ends.off('end', onEnd);
      signal.removeEventListener('abort', onAbort);
    });
  }

  // ---- passes -------------------------------------------------------------------------------

  private async safePass(): Promise<void> {
    try {
      await this.pass();
    } catch (error) {
      this.log.warn({ err: error }, 'lease pass failed; next pass will retry');
    }
  }

  /** One pass at a time, whoever asks (start, the ticker): two at once could take twice the share. */
  private pass(): Promise<void> {
    const run = this.passChain.then(() => this.passOnce());
    this.passChain = run.catch(() => undefined);
    return run;
  }

  private async passOnce(): Promise<void> {
    if (!this.taking) return;
    if (Date.now() - this.lastSyncAt >= this.options.shardSyncIntervalMs) await this.syncShards();
    const { leases, workers } = await this.store.listAll();
    const now = Date.now();
    this.tracker.observe([...leases, ...workers.map(beatAsLease)], now);
    const live = workers.filter((w) => !this.tracker.isExpired(beatAsLease(w), now, this.options.failoverTimeMs)).map((w) => w.workerId);
    // Heartbeats that stood still for ten failover times belong to workers that died: tidy up.
    for (const worker of workers) {
      if (worker.workerId !== this.options.workerId && this.tracker.isExpired(beatAsLease(worker), now, 10 * this.options.failoverTimeMs)) {
        await this.store.deleteWorker(worker.workerId, worker.counter);
      }
    }
    for (const lease of leases) {
      const held = this.held.get(lease.leaseKey);
      // A higher counter under another owner: someone took it; stop before our next write fails.
      // (No owner means our own release is landing: only an owner releases.)
      if (held !== undefined && lease.owner !== undefined && lease.owner !== this.options.workerId && lease.counter > held.lease.counter) {
        this.markLost(lease.leaseKey, `taken by '${lease.owner}'`);
      }
    }
    const classified = classifyLeases(leases, this.options.workerId, new Set(this.held.keys()), this.tracker, now, this.options.failoverTimeMs);
    const decision = chooseLeases(classified, this.options.workerId, this.options.maxLeasesPerWorker, Math.random, live);
    let taken = 0;
    for (const candidate of decision.candidates) {
      if (taken >= decision.needed || !this.taking) break;
      if (await this.take(candidate, false)) taken += 1;
    }
    if (decision.steal !== undefined && this.taking) await this.take(decision.steal, true);
  }

  private async take(observed: Lease, steal: boolean): Promise<boolean> {
    const started = Date.now();
    const lease = await this.store.take(observed, this.options.workerId);
    if (lease === undefined) return false;
    this.held.set(lease.leaseKey, { lease, renewedAt: started, chain: Promise.resolve() });
    this.counters.taken += 1;
    if (steal) this.counters.stolen += 1;
    this.log.info({ shardId: lease.leaseKey, from: observed.owner, steal, checkpoint: lease.checkpoint }, 'lease taken');
    this.events.acquired(lease);
    return true;
  }

  /** Creates leases for shards that have none (new streams, reshards, missed children). */
  private async syncShards(): Promise<void> {
    const [shards, leases] = await Promise.all([listAllShards(this.options.kinesis, this.options.streamName), this.store.list()]);
    this.lastSyncAt = Date.now();
    const existing = new Set(leases.map((l) => l.leaseKey));
    await this.createLeases(planNewLeases(shards.map(shardInfo), existing, this.options.initialPosition));
    // A finished shard that the stream no longer lists has aged out of retention: its lease can
    // go. Never earlier: a listed shard without a lease would get a new one and be read again.
    const listed = new Set(shards.map((s) => s.ShardId));
    for (const lease of leases) {
      if (isFinished(lease) && !listed.has(lease.leaseKey) && (await this.store.deleteFinished(lease))) {
        this.log.info({ shardId: lease.leaseKey }, 'lease of a shard past retention deleted');
      }
    }
  }

  private async createLeases(planned: readonly NewLease[]): Promise<void> {
    // Parents' generation before children's: a child's lease must never exist without its
    // parents' leases. Within a generation, all at once (a new stream's shards are one).
    for (const generation of generations(planned)) {
      await Promise.all(
        generation.map(async (lease) => {
          if (await this.store.create(lease)) this.log.info({ shardId: lease.leaseKey, checkpoint: lease.checkpoint, parents: lease.parentShardIds }, 'lease created');
        }),
      );
    }
  }

  // ---- renewals -----------------------------------------------------------------------------

  private async renewAll(): Promise<void> {
    const beat = this.retired ? undefined : this.store.heartbeat(this.options.workerId).catch((error: unknown) => this.log.warn({ err: error }, 'worker heartbeat failed'));
    await Promise.all([
      beat,
      ...this.heldShardIds().map((shardId) =>
        this.withLease(shardId, async (held) => {
          const started = Date.now();
          try {
            held.lease = await this.store.renew(held.lease, this.options.workerId);
            held.renewedAt = started;
          } catch (error) {
            if (error instanceof LeaseLostError) {
              this.markLost(shardId, error.message);
              return;
            }
            this.log.warn({ err: error, shardId }, 'lease renewal failed');
            if (Date.now() - held.renewedAt >= this.options.failoverTimeMs) this.markLost(shardId, 'renewals failed for the failover time');
          }
        }).catch(() => undefined),
      ),
    ]);
  }

  private withLease(shardId: string, fn: (held: HeldLease) => Promise<void>): Promise<void> {
    const held = this.held.get(shardId);
    if (held === undefined) return Promise.reject(new LeaseLostError(shardId, this.options.workerId, 'not held'));
    const run = held.chain.then(() => {
      if (this.held.get(shardId) !== held) throw new LeaseLostError(shardId, this.options.workerId, 'not held');
      return fn(held);
    });
    held.chain = run.catch(() => undefined);
    return run;
  }

  private markLost(shardId: string, reason: string): void {
    if (!this.held.delete(shardId)) return;
    this.counters.lost += 1;
    this.events.lost(shardId, reason);
  }
}
