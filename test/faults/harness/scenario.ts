import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OfferedLoad } from '../../../local/load/offered-load.js';
import { isolatedStack } from '../../../local/env/isolated-stack.js';
import type { IsolatedStack } from '../../../local/env/isolated-stack.js';
import { defaultStartAt } from '../../../local/broker/source.js';
import { startBroker } from '../../../local/broker/server.js';
import type { BrokerHandle } from '../../../local/broker/server.js';
import type { LocalEnv } from '../../../local/env/start.js';
import { expectedOutcome } from '../../../local/runner/expected.js';
import type { ExpectedOutcome } from '../../../local/runner/expected.js';
import { countInView } from '../../../local/runner/measure.js';
import type { RunSummary } from '../../../local/runner/measure.js';
import type { LocalPipeline, PipelineRole } from '../../../local/runner/pipeline.js';
import { runLocal } from '../../../local/runner/run-local.js';
import { percentiles } from '../../../local/runner/stats.js';
import type { WorkerProcess } from '../../../local/runner/worker-process.js';
import { generateTransactions } from '../../../models/index.js';
import type { AwsClients } from '../../../shared/aws/clients.js';
import type { WorkerVariable } from '../../../shared/worker-env.js';
import { scanView } from '../../../shared/view/scan-view.js';
import type { ViewContents } from '../../../shared/view/scan-view.js';
import { latencyMs } from '../../../shared/view/version.js';
import type { LiveVersion } from '../../../shared/view/version.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';
import { recordRow } from '../../../local/faults/report.js';
import type { ScenarioRow } from '../../../local/faults/report.js';
import { RestartableRedis } from './restartable-redis.js';
import { ThrottlingProxy } from './throttling-proxy.js';

/**
 * Tuning for the fault suite: a lease nobody renews is taken after 3 s (AWS default 10 s), so a
 * SIGKILLed consumer's shards move on within seconds and the whole suite fits CI's budget.
 */
export const FAULT_TUNING = {
  LEASE_FAILOVER_MS: 3000,
  READ_IDLE_MS: 100,
  SHUTDOWN_TIMEOUT_MS: 15000,
} as const satisfies Partial<Record<WorkerVariable, string | number | boolean>>;

/** A held-up record is this much slower than the p99 before the fault, and at least `MIN_HELD_UP_MS`. */
const HELD_UP_FACTOR = 2;
const MIN_HELD_UP_MS = 1000;

/** What a scenario's fault sees while records flow. */
export interface FaultContext {
  /** The environment as this scenario's stack sees it. */
  readonly env: LocalEnv;
  readonly pipeline: LocalPipeline;
  /** Direct clients (never through a throttling proxy), for the scenario's own checks. */
  readonly clients: AwsClients;
  readonly redis: RestartableRedis | undefined;
  readonly proxies: { readonly kinesis: ThrottlingProxy; readonly dynamodb: ThrottlingProxy } | undefined;
  /** Scenario-specific figures for the table. */
  readonly details: Record<string, number | string>;
  /** Marks a fault from `startMs` (epoch) until now; recovery time counts from the last one's end. */
  fault(startMs: number, endMs?: number): void;
  /** Waits until at least `count` distinct transactions are in the view. */
  waitForInView(count: number, timeoutMs?: number): Promise<void>;
  log(message: string): void;
}

export interface ScenarioOptions {
  /** The table's first column. */
  readonly name: string;
  /** Broker lines, served exactly as given. */
  readonly lines: readonly string[];
  /** Lines released per second once every worker is up. @default 80 */
  readonly perSecond?: number;
  /** @default raw 2, results 2 (so consumers hold several shards) */
  readonly shards?: { readonly raw?: number; readonly results?: number };
  readonly workers?: Partial<Record<PipelineRole, number>>;
  readonly tuning?: Partial<Record<WorkerVariable, string | number | boolean>>;
  /** The scenario's own Redis (one it may restart). */
  readonly ownRedis?: boolean;
  /** Workers reach Kinesis and DynamoDB through throttling proxies. */
  readonly throttlingProxies?: boolean;
  /** Injects the fault while records flow. */
  readonly inject?: (context: FaultContext) => Promise<void>;
  /** After the pipeline drained, before it stops (a replay). */
  readonly afterDrain?: (context: FaultContext) => Promise<void>;
  /** @default 90_000 ms */
  readonly stallTimeoutMs?: number;
}

export interface ScenarioResult {
  readonly row: ScenarioRow;
  readonly summary: RunSummary;
  readonly expected: ExpectedOutcome;
  readonly view: ViewContents;
  /** Where the workers' logs and the scenario's own log are. */
  readonly logDir: string;
}

/** `count` seeded synthetic broker lines, all booked in the past. */
export function syntheticLines(count: number, seed: number): string[] {
  return generateTransactions({ count, seed, startAt: defaultStartAt(count, 100) }).map((t) => JSON.stringify(t.broker));
}

/**
 * Time from the last fault's end until the last record it held up reached the view; 0 when
 * nothing was held up; null when there was no fault in time.
 */
export function recoveryTime(items: readonly LiveVersion[], faults: readonly { startMs: number; endMs: number }[]): number | null {
  if (faults.length === 0) return null;
  const firstStart = Math.min(...faults.map((f) => f.startMs));
  const lastEnd = Math.max(...faults.map((f) => f.endMs));
  const before = items.filter((t) => Date.parse(t.viewedAt) < firstStart).map(latencyMs);
  const threshold = Math.max(MIN_HELD_UP_MS, HELD_UP_FACTOR * percentiles(before).p99);
  const heldUp = items.filter((t) => Date.parse(t.viewedAt) >= firstStart && latencyMs(t) > threshold).map((t) => Date.parse(t.viewedAt));
  if (heldUp.length === 0) return 0;
  return Math.max(0, Math.max(...heldUp) - lastEnd);
}

/** Waits until a worker's /health body satisfies `predicate`; false on timeout or death. */
export async function waitForHealth(worker: WorkerProcess, predicate: (details: Record<string, unknown>) => boolean, timeoutMs = 30_000, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && worker.alive) {
    const body = await worker.health();
    const details = body?.['details'] as Record<string, unknown> | undefined;
    if (details !== undefined && predicate(details)) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}

/**
 * One fault scenario on real processes: its own stack in the shared embedded environment, the
 * mock broker serving `lines` through an `OfferedLoad` that releases them once every worker is
 * up, `runLocal` running the pipeline until everything is in the view or the reject store while
 * `inject` does its damage, then the view and the reject store measured against
 * `expectedOutcome(lines)`. The row is appended to the suite's report when `npm run faults` runs it.
 */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const base = await getLocalEnv();
  const stack = uniqueStack();
  const logDir = join(tmpdir(), 'insights-faults', `${options.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${stack}`);
  mkdirSync(logDir, { recursive: true });
  const log = (message: string): void => {
    appendFileSync(join(logDir, 'scenario.log'), `${new Date().toISOString()} ${message}\n`);
    if (process.env['FAULTS_VERBOSE'] === '1') console.error(`    [${options.name}] ${message}`);
  };
  const clients = base.clients();
  let redis: RestartableRedis | undefined;
  let proxies: FaultContext['proxies'];
  let isolated: IsolatedStack | undefined;
  let broker: BrokerHandle | undefined;
  let feed: OfferedLoad | undefined;
  const faults: { startMs: number; endMs: number }[] = [];
  const details: Record<string, number | string> = {};
  try {
    if (options.ownRedis === true) redis = await RestartableRedis.start(logDir);
    if (options.throttlingProxies === true) {
      proxies = { kinesis: await ThrottlingProxy.start('kinesis', base.endpoints.kinesis), dynamodb: await ThrottlingProxy.start('dynamodb', base.endpoints.dynamodb) };
    }
    isolated = await isolatedStack(base, {
      stack,
      shards: { raw: options.shards?.raw ?? 2, results: options.shards?.results ?? 2 },
      ...(redis ? { redisUrl: redis.url } : {}),
      ...(proxies ? { workerAwsEnv: { AWS_ENDPOINT_URL_KINESIS: proxies.kinesis.url, AWS_ENDPOINT_URL_DYNAMODB: proxies.dynamodb.url } } : {}),
    });
    const env = isolated.env;
    broker = await startBroker({ lines: options.lines });
    const gate = await OfferedLoad.start(broker);
    feed = gate;
    const expected = expectedOutcome(options.lines);
    const contextFor = (pipeline: LocalPipeline): FaultContext => ({
      env,
      pipeline,
      clients,
      redis,
      proxies,
      details,
      log,
      fault: (startMs, endMs = Date.now()) => void faults.push({ startMs, endMs }),
      waitForInView: async (count, timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        while ((await countInView(clients.dynamodb, env.names.tables.view)) < count) {
          if (Date.now() > deadline) throw new Error(`fewer than ${count} transactions in the view after ${timeoutMs} ms; see ${logDir}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      },
    });
    const summary = await runLocal({
      env,
      broker: gate.handle(),
      ...(options.workers ? { workers: options.workers } : {}),
      tuning: { ...FAULT_TUNING, ...options.tuning },
      logDir,
      stallTimeoutMs: options.stallTimeoutMs ?? 90_000,
      onStep: (message) => {
        if (!message.startsWith('warning: ')) log(message);
      },
      duringRun: async ({ pipeline }) => {
        gate.release(options.lines.length, options.perSecond ?? 80);
        log(`released ${options.lines.length} lines at ${options.perSecond ?? 80}/s`);
        await options.inject?.(contextFor(pipeline));
      },
      afterDrain: async ({ pipeline }) => {
        const dead = pipeline.dead().filter((w) => !w.name.startsWith('crawler'));
        if (dead.length > 0) log(`workers that exited: ${dead.map((w) => w.name).join(', ')}`);
        await options.afterDrain?.(contextFor(pipeline));
      },
    });
    const view = await scanView(clients.dynamodb, env.names.tables.view);
    const row: ScenarioRow = {
      scenario: options.name,
      sent: summary.offered,
      inView: summary.inView,
      rejected: summary.rejected,
      lost: summary.lost,
      doubleCounted: summary.doubleCounted,
      rejectMismatches: summary.rejectMismatches,
      recoveryMs: recoveryTime(view.transactions, faults),
      details,
      durationMs: Date.now() - started,
    };
    log(`result ${JSON.stringify(row)}`);
    recordRow(row);
    return { row, summary, expected, view, logDir };
  } finally {
    await feed?.close();
    await broker?.close();
    await isolated?.cleanup();
    await proxies?.kinesis.close();
    await proxies?.dynamodb.close();
    await redis?.stop();
    clients.destroy();
  }
}
