import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../broker/index.js';
import { isolatedStack } from '../env/isolated-stack.js';
import type { LocalEnv } from '../env/start.js';
import { SignupFleet } from './signup-fleet.js';

export interface HistoryFleetOptions {
  /** Sync crawler processes. */
  readonly crawlers: number;
  /** Shards of the history lane's raw stream (where history syncs put): enough that Kinesis' write limit does not bound the sync. */
  readonly shards: number;
  /** Transactions in each linked connection's history. */
  readonly historySize: number;
  /** Names the stack (`<name><crawlers><stamp>`) and the log folder (`bench-<name>-…`). */
  readonly name: string;
}

/**
 * Crawlers on the sync source alone (no downstream) against a broker that serves only histories,
 * on a stack of their own: `measure` runs with the fleet; then fleet, broker, stack and logs go.
 * For measuring how the crawler fleet syncs (bench:signup's scaling, bench:fleet).
 */
export async function withHistoryFleet<T>(env: LocalEnv, options: HistoryFleetOptions, measure: (fleet: SignupFleet) => Promise<T>): Promise<T> {
  const stack = await isolatedStack(env, { stack: `${options.name}${options.crawlers}${Date.now().toString(36).slice(-5)}`, shards: { rawHistory: options.shards } });
  const logDir = mkdtempSync(join(tmpdir(), `bench-${options.name}-`));
  const broker = await startBroker({ records: 0, historyDelayMs: 0, historySize: options.historySize, maxPageSize: 1_000 });
  const fleet = await SignupFleet.start({ env: stack.env, broker, logDir, crawlers: options.crawlers, tuning: { CRAWLER_PAGE_SIZE: 500, CRAWLER_SYNC_CONCURRENCY: 2 } });
  try {
    return await measure(fleet);
  } finally {
    await fleet.stop();
    await broker.close();
    await stack.cleanup();
    rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * Links `connections` users (`<prefix>-<i>`) and waits until the fleet's crawlers report every
 * history synced, from their /health counters.
 */
export async function syncHistories(fleet: SignupFleet, options: { connections: number; historySize: number; prefix: string; pollMs: number; timeoutMs?: number }): Promise<void> {
  for (let i = 0; i < options.connections; i += 1) fleet.link(`${options.prefix}-${i}`, options.historySize);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const synced = await Promise.all(fleet.crawlers.map(async (c) => ((await c.health())?.['details'] as { crawler?: { historiesSynced?: number } } | undefined)?.crawler?.historiesSynced ?? 0));
    if (synced.reduce((a, b) => a + b, 0) >= options.connections) return;
    if (Date.now() > deadline) throw new Error(`histories not synced within ${timeoutMs / 60_000} minutes by ${fleet.crawlers.length} crawler(s)`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
