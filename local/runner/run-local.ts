import { Queue } from 'bullmq';
import { InterruptedError } from '../../shared/command-line/errors.js';
import { join } from 'node:path';
import { RejectStore } from '../../shared/rejects/reject-store.js';
import { createRedisConnection } from '../../workers/lib/redis.js';
import { startBroker } from '../broker/index.js';
import type { BrokerHandle, BrokerOptions } from '../broker/index.js';
import { CallsDeniedError } from '../env/errors.js';
import { startLocalEnv } from '../env/start.js';
import type { LocalEnv, LocalEnvOptions } from '../env/start.js';
import { expectedOutcome } from './expected.js';
import { countInView, measureRun } from './measure.js';
import { writtenByProjectors } from './projector-progress.js';
import { Lane } from '../../shared/schemas/transaction-change.js';
import type { RunSummary } from './measure.js';
import { LocalPipeline } from './pipeline.js';
import type { LocalPipelineOptions } from './pipeline.js';

/**
 * Longest time between two reads of the view and the reject store while a run goes (see the loop):
 * a safety net only, for projector counters that restarted with their process; the progress line
 * counts from the projectors in between.
 */
const EXACT_EVERY_MS = 30_000;
/** The same while the pipeline is quiet (nothing written, no job waiting): a run of rejects ends within this. */
const QUIET_EXACT_EVERY_MS = 1_000;

export interface RunProgress {
  readonly elapsedMs: number;
  readonly served: number;
  readonly rejected: number;
  readonly queue: { readonly waiting: number; readonly active: number; readonly completed: number; readonly failed: number };
  /** Accepted transactions in the view at the last read of the view (exact, and up to 30 s old). */
  readonly inView: number;
  /** `inView` plus the live lane's versions the projectors wrote since that read, at most `expected`: the progress line's figure between reads. */
  readonly inViewEstimate: number;
  readonly expected: number;
}

export interface RunLocalOptions {
  /** Environment options (emulators, endpoint, stack), or an environment already running. */
  readonly env?: LocalEnvOptions | LocalEnv;
  /** Broker source and faults, or a broker already running (the caller closes it). @default 20,000 synthetic records */
  readonly broker?: BrokerOptions | BrokerHandle;
  readonly workers?: LocalPipelineOptions['workers'];
  readonly tuning?: LocalPipelineOptions['tuning'];
  /** Where worker logs go. @default <env data dir>/logs */
  readonly logDir?: string;
  /** Give up waiting when nothing moved for this long. @default 60000 ms */
  readonly stallTimeoutMs?: number;
  /** Keep running after the source is drained, until `signal` aborts. */
  readonly follow?: boolean;
  /**
   * Stops the run (Ctrl-C). During start-up it stops at once; before the pipeline drained the
   * run throws an `InterruptedError` that says how far it got (never a loss: the work was simply
   * not finished); once drained (`follow`) the run is measured and returned as usual.
   */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RunProgress) => void;
  readonly onStep?: (message: string) => void;
  /**
   * Runs while records flow, from the moment every worker is up (fault injection: kill a worker,
   * restart Redis, reshard). The run is not over until it settled; if it rejects, the run does.
   */
  readonly duringRun?: (context: { env: LocalEnv; broker: BrokerHandle; pipeline: LocalPipeline }) => Promise<void>;
  /**
   * Runs once, the first time everything offered is in the view or the reject store, while the
   * pipeline keeps running (with `follow`, what to open now: the insights page's address).
   */
  readonly onDrained?: (context: { env: LocalEnv; broker: BrokerHandle; pipeline: LocalPipeline }) => Promise<void>;
  /** Runs after the pipeline drained, before shut-down (the sample user's insights, analytics). */
  readonly afterDrain?: (context: { env: LocalEnv; broker: BrokerHandle; pipeline: LocalPipeline }) => Promise<void>;
}

function isRunningBroker(broker: RunLocalOptions['broker']): broker is BrokerHandle {
  return broker !== undefined && 'close' in broker && typeof (broker as BrokerHandle).close === 'function';
}

function isRunningEnv(env: RunLocalOptions['env']): env is LocalEnv {
  return env !== undefined && 'stop' in env && typeof (env as LocalEnv).stop === 'function';
}

/** A denied call stops the run at once: a worker refused by IAM would only retry, or lose what it was writing. */
async function failOnDenials(env: LocalEnv): Promise<void> {
  const denied = (await env.front?.denials())?.filter((d) => d.stack === env.stack) ?? [];
  if (denied.length > 0) throw new CallsDeniedError(env.stack, denied);
}

/** An interrupt, with what had been done when it came. */
function interruption(signal: AbortSignal, message: string): InterruptedError {
  const reason: unknown = signal.reason;
  return new InterruptedError(message, reason instanceof InterruptedError ? reason.signal : 'SIGINT', { cause: reason });
}

/**
 * `npm run local`: brings up the environment, the mock broker and every worker as its own
 * process, streams the transactions through, waits until every one is in the view or the reject
 * store, measures the result from the view, the reject store and the results stream, and shuts
 * everything down (also on failure or abort).
 */
export async function runLocal(options: RunLocalOptions = {}): Promise<RunSummary> {
  const step = options.onStep ?? (() => undefined);
  const started = performance.now();
  const ownEnv = !isRunningEnv(options.env);
  const startUp = (stage: string): void => {
    if (options.signal?.aborted) throw interruption(options.signal, `during start-up (${stage}); no record was measured`);
  };
  startUp('environment');
  const env = isRunningEnv(options.env) ? options.env : await startLocalEnv({ ...options.env, onProgress: step, ...(options.signal ? { signal: options.signal } : {}) });
  let broker: BrokerHandle | undefined;
  let pipeline: LocalPipeline | undefined;
  const clients = env.clients();
  const redis = createRedisConnection({ url: env.redisUrl });
  const queue = new Queue(env.names.queues.scoring, { connection: redis, prefix: env.names.queuePrefix });
  // The progress counts wait through a Redis restart (the connection reconnects); no need to print each refusal.
  queue.on('error', () => undefined);
  try {
    startUp('broker');
    broker = isRunningBroker(options.broker) ? options.broker : await startBroker(options.broker ?? { records: 20_000 });
    const expected = expectedOutcome(broker.lines());
    step(`broker on ${broker.url} offers ${expected.offered} lines: ${expected.accepted.size} to accept, ${expected.rejected.size} to reject, ${expected.deduplicated} exact duplicates`);

    const rejects = new RejectStore({ dynamodb: clients.dynamodb, tableName: env.names.tables.rejects });
    // An environment kept from an earlier run holds its rejects and transactions: this run counts only its own.
    const rejectsBefore = new Set((await rejects.list()).map((r) => r.rejectId));
    startUp('workers');
    pipeline = await LocalPipeline.start({
      ...(options.signal ? { signal: options.signal } : {}),
      env,
      broker: { url: broker.url, apiKey: broker.apiKey },
      logDir: options.logDir ?? join(env.dataDir, 'logs'),
      ...(options.workers ? { workers: options.workers } : {}),
      ...(options.tuning ? { tuning: options.tuning } : {}),
    }).catch((error: unknown) => {
      startUp('workers');
      throw error;
    });
    step(`workers up: ${pipeline.workers().map((w) => `${w.name} (pid ${w.pid})`).join(', ')}; logs in ${options.logDir ?? join(env.dataDir, 'logs')}`);

    let during: { settled: boolean; error?: unknown } = { settled: true };
    if (options.duringRun) {
      const state: { settled: boolean; error?: unknown } = { settled: false };
      during = state;
      options.duringRun({ env, broker, pipeline }).then(
        () => (state.settled = true),
        (error: unknown) => Object.assign(state, { settled: true, error }),
      );
    }

    const target = expected.accepted.size + expected.rejected.size;
    const stallMs = options.stallTimeoutMs ?? 60_000;
    let last = -1;
    let lastChange = Date.now();
    let drained = false;
    // The view and the reject store are read (a scan) only when the projectors' counters say the
    // run may be done, when it is quiet, or every EXACT_EVERY_MS: a scan reads the whole growing
    // table (a sign-up wave's histories too) on the store the measured pipeline writes to, and in
    // the sign-up phase a scan every 5 s was most of the store's reads (0.77 RRU per transaction).
    let exact = { at: 0, inView: 0, rejected: 0, written: 0, tookMs: 0 };
    let lastWritten = -1;
    for (;;) {
      if (options.signal?.aborted) break;
      const [written, counts] = await Promise.all([writtenByProjectors(pipeline, Lane.Live), queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed')]);
      const missing = target - exact.inView - exact.rejected;
      // Quiet: nothing written since the last poll and no job queued or running; what is missing may
      // be rejects (the crawler stores those, no projector counts them), so look within a second.
      const quiet = written === lastWritten && (counts['waiting'] ?? 0) + (counts['active'] ?? 0) + (counts['delayed'] ?? 0) === 0;
      const sinceExact = Date.now() - exact.at;
      // A scan grows with the table: at least ten times its own duration apart, so it never takes more than a tenth of the store's time.
      const every = Math.max(EXACT_EVERY_MS, 10 * exact.tookMs);
      // Once everything is in (a sign-up wave may still be running), only the periodic read remains.
      const mayBeDone = missing > 0 && written - exact.written >= missing;
      if (sinceExact >= every || mayBeDone || (quiet && missing > 0 && sinceExact >= QUIET_EXACT_EVERY_MS)) {
        const scanStarted = performance.now();
        const [inView, rejected] = await Promise.all([
          countInView(clients.dynamodb, env.names.tables.view, expected.accepted),
          rejects.list().then((r) => r.filter((reject) => !rejectsBefore.has(reject.rejectId)).length),
        ]);
        exact = { at: Date.now(), inView, rejected, written, tookMs: performance.now() - scanStarted };
      }
      const { inView, rejected } = exact;
      const progress: RunProgress = {
        elapsedMs: Math.round(performance.now() - started),
        served: broker.stats().linesServed,
        rejected,
        queue: { waiting: (counts['waiting'] ?? 0) + (counts['delayed'] ?? 0), active: counts['active'] ?? 0, completed: counts['completed'] ?? 0, failed: counts['failed'] ?? 0 },
        inView,
        inViewEstimate: Math.min(expected.accepted.size, inView + Math.max(0, written - exact.written)),
        expected: expected.accepted.size,
      };
      options.onProgress?.(progress);
      await failOnDenials(env);
      const dead = pipeline.dead();
      if (dead.length > 0) step(`warning: ${dead.map((w) => `${w.name} exited; see ${w.logFile}`).join('; ')}`);
      if (during.error !== undefined) throw during.error;
      const done = inView + rejected;
      if (done !== last || written !== lastWritten || !during.settled) {
        last = done;
        lastWritten = written;
        lastChange = Date.now();
      }
      if (!drained && done >= target && during.settled) {
        drained = true;
        await options.onDrained?.({ env, broker, pipeline });
      }
      if (!options.follow && done >= target && during.settled) break;
      if (!options.follow && Date.now() - lastChange > stallMs) {
        step(`nothing moved for ${stallMs / 1000} s; measuring what arrived`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const durationMs = performance.now() - started;
    if (options.signal?.aborted && !drained) {
      // Not finished is not lost: say how far it got, measured, and stop.
      const sofar = await measureRun(
        clients,
        { viewTable: env.names.tables.view, rejectsTable: env.names.tables.rejects, resultsStreams: [env.names.streams.results, env.names.streams.resultsHistory], rejectsBefore },
        expected,
        durationMs,
      );
      throw interruption(
        options.signal,
        `${sofar.inView} of ${sofar.accepted} in view and ${sofar.rejected} of ${expected.rejected.size} rejects stored after ${(durationMs / 1000).toFixed(1)} s; ` +
          (sofar.doubleCounted === 0 ? 'nothing double-counted so far; ' : `${sofar.doubleCounted} totals double-counted; `) +
          'the rest was not lost, the run was stopped before it finished',
      );
    }
    await options.afterDrain?.({ env, broker, pipeline });
    await failOnDenials(env);
    return await measureRun(
      clients,
      { viewTable: env.names.tables.view, rejectsTable: env.names.tables.rejects, resultsStreams: [env.names.streams.results, env.names.streams.resultsHistory], rejectsBefore },
      expected,
      durationMs,
    );
  } finally {
    await pipeline?.stop();
    await queue.close().catch(() => undefined);
    redis.disconnect();
    if (!isRunningBroker(options.broker)) await broker?.close();
    clients.destroy();
    if (ownEnv) await env.stop();
  }
}
