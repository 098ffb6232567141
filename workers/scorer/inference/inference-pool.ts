import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../../shared/logger.js';
import { silentLogger } from '../../../shared/logger.js';
import type { Transaction } from '../../../shared/schemas/transaction.js';
import { InferenceFailedError, InferenceStartError, InferenceUnavailableError, ScorerOptionError } from '../errors.js';
import type { BatchScores, FromThread, ModelVersions, ScoreRequest, ThreadStartData } from './messages.js';

/** Loading two ONNX sessions takes well under a second here; a minute allows for a cold, throttled container. */
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** A thread that died is replaced after this pause, so a thread that dies at once cannot spin a CPU. */
const RESPAWN_DELAY_MS = 1_000;
/**
 * Young generation of each inference thread, MiB. V8's default (48 MiB on 64-bit) is headroom the
 * thread never needs: a batch's garbage (featurised rows, tensors' JS wrappers) is a few MiB and
 * dies with the batch, and the models live in native memory. Measured on a backlog of 100 jobs of
 * 250 with one thread: peak RSS about 20 MiB lower at 8 than at the default, no change in records/s.
 */
const THREAD_YOUNG_GENERATION_MB = 8;

export interface InferencePoolOptions {
  /** Worker threads, each with one session per model (see `inferenceThreadCount`). */
  readonly threads: number;
  /** MODELS_DIR. */
  readonly modelsDir: string;
  /** onnxruntime intra-op threads per session. @default 1 (the pool already has a thread per CPU) */
  readonly intraOpNumThreads?: number;
  /** How long each thread may take to load the models. @default 60_000 ms */
  readonly startTimeoutMs?: number;
  /** @default a silent logger */
  readonly logger?: Logger;
}

interface Task {
  readonly request: ScoreRequest;
  readonly resolve: (scores: BatchScores) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  /** The task the thread is running; a thread runs one batch at a time. */
  task: Task | undefined;
  alive: boolean;
  /** Loading its models (at start, or replacing a thread that died). */
  starting: boolean;
}

/** The thread's entry: `.ts` under tsx (tests, the image's `node --import=tsx`), `.js` if compiled. */
function threadEntry(): URL {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./inference-thread${extension}`, import.meta.url);
}

/**
 * Node 20 does not run --import hooks for a worker's entry module, so a thread running the `.ts`
 * sources registers tsx itself. It registers tsx's CommonJS hook, not its ESM one: `module.register`
 * runs ESM hooks on a loader thread of their own, a third V8 isolate that stays for the life of the
 * process (measured: about 21 MiB of RSS per thread, idle after start-up). Tests already load
 * these modules through tsx's CommonJS hook.
 */
function spawn(data: ThreadStartData): Worker {
  const entry = threadEntry();
  const options = { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/cjs/api');
  const boot = `import('node:module').then(({ createRequire }) => { const require = createRequire(${JSON.stringify(entry.href)}); require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(entry))}); });`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * A fixed pool of worker threads that featurise and score batches, so inference never blocks the
 * event loop that renews BullMQ locks and answers health checks. Each thread creates one
 * onnxruntime session per model once, at start, with `intraOpNumThreads` 1: parallelism comes from
 * the threads (one per CPU) and from jobs running at once, not from onnxruntime's own pool, which
 * would oversubscribe the CPUs. Batches queue FIFO and go to the next idle thread. A thread that
 * dies fails its batch (the job is retried) and is replaced.
 *
 * @example
 * const pool = await InferencePool.start({ threads: inferenceThreadCount(env.INFERENCE_THREADS), modelsDir: env.MODELS_DIR });
 * const scores = await pool.score(transactions);
 * await pool.close();
 */
export class InferencePool {
  private readonly options: Required<Omit<InferencePoolOptions, 'logger'>>;
  private readonly log: Logger;
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private loaded: ModelVersions | undefined;
  private counters = { batches: 0, records: 0, threadDeaths: 0 };

  private constructor(options: InferencePoolOptions) {
    this.options = { intraOpNumThreads: 1, startTimeoutMs: DEFAULT_START_TIMEOUT_MS, ...options };
    this.log = (options.logger ?? silentLogger()).child({ component: 'inference-pool' });
    if (!Number.isInteger(this.options.threads) || this.options.threads < 1) throw new ScorerOptionError('threads', `must be a positive integer, got ${this.options.threads}`);
    if (!Number.isInteger(this.options.intraOpNumThreads) || this.options.intraOpNumThreads < 1) {
      throw new ScorerOptionError('intraOpNumThreads', `must be a positive integer, got ${this.options.intraOpNumThreads}`);
    }
    this.slots = Array.from({ length: this.options.threads }, (_, index) => ({ index, worker: undefined, task: undefined, alive: false, starting: false }));
  }

  /** Starts every thread and resolves once each loaded the models; rejects (leaving nothing running) if any could not. */
  public static async start(options: InferencePoolOptions): Promise<InferencePool> {
    const pool = new InferencePool(options);
    try {
      await Promise.all(pool.slots.map((slot) => pool.startThread(slot)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    pool.log.info({ threads: pool.size, versions: pool.modelVersions }, 'inference pool ready');
    return pool;
  }

  public get size(): number {
    return this.slots.length;
  }

  /** Threads running with their models loaded. */
  public get aliveThreads(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  /** Model versions from the manifest the threads loaded. */
  public get modelVersions(): ModelVersions {
    if (this.loaded === undefined) throw new InferenceUnavailableError('inference pool has not started');
    return this.loaded;
  }

  /** For health details and logs. */
  public stats(): { threads: number; alive: number; busy: number; queued: number; batches: number; records: number; threadDeaths: number } {
    return { threads: this.size, alive: this.aliveThreads, busy: this.slots.filter((s) => s.task !== undefined).length, queued: this.queue.length, ...this.counters };
  }

  /** Featurises and scores a batch on the next idle thread. Rejects with `InferenceUnavailableError` when the pool closes or the thread dies. */
  public score(transactions: readonly Transaction[]): Promise<BatchScores> {
    if (this.closing !== undefined) return Promise.reject(new InferenceUnavailableError('inference pool is closed'));
    return new Promise<BatchScores>((resolve, reject) => {
      this.queue.push({ request: { type: 'score', id: this.nextId++, transactions }, resolve, reject });
      this.dispatch();
    });
  }

  /** Fails queued batches and terminates the threads; idempotent. */
  public close(): Promise<void> {
    this.closing ??= (async () => {
      for (const task of this.queue.splice(0)) task.reject(new InferenceUnavailableError('inference pool closed'));
      await Promise.all(
        this.slots.map(async (slot) => {
          const worker = slot.worker;
          slot.alive = false;
          slot.worker = undefined;
          slot.task?.reject(new InferenceUnavailableError('inference pool closed'));
          slot.task = undefined;
          await worker?.terminate();
        }),
      );
    })();
    return this.closing;
  }

  private dispatch(): void {
    if (this.slots.every((s) => !s.alive && !s.starting)) {
      // No thread left and none coming: fail fast so jobs retry (and the health check reports it).
      for (const task of this.queue.splice(0)) task.reject(new InferenceUnavailableError('no inference thread is alive'));
      return;
    }
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.alive || slot.task !== undefined || slot.worker === undefined) continue;
      const task = this.queue.shift() as Task;
      slot.task = task;
      slot.worker.postMessage(task.request);
    }
  }

  private startThread(slot: Slot): Promise<void> {
    const data: ThreadStartData = { index: slot.index, modelsDir: this.options.modelsDir, intraOpNumThreads: this.options.intraOpNumThreads };
    const worker = spawn(data);
    slot.worker = worker;
    slot.starting = true;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const fail = (message: string, cause?: unknown): void => {
        if (started) return;
        clearTimeout(timer);
        started = true;
        // Detached first, so its exit is not taken for a running thread's death (and respawned in a loop).
        if (slot.worker === worker) slot.worker = undefined;
        slot.starting = false;
        void worker.terminate();
        reject(new InferenceStartError(slot.index, message, { cause }));
        this.dispatch();
      };
      const timer = setTimeout(() => fail(`models not loaded within ${this.options.startTimeoutMs} ms`), this.options.startTimeoutMs);
      worker.on('message', (message: FromThread) => {
        if (!started) {
          if (message.type === 'ready') {
            clearTimeout(timer);
            started = true;
            slot.alive = true;
            slot.starting = false;
            this.loaded ??= message.versions;
            this.log.debug({ thread: slot.index, threadId: message.threadId }, 'inference thread ready');
            resolve();
            this.dispatch();
          } else if (message.type === 'start-failed') {
            fail(message.message);
          }
          return;
        }
        this.onResult(slot, message);
      });
      worker.on('error', (error) => {
        if (!started) fail(error.message, error);
        else this.log.error({ err: error, thread: slot.index }, 'inference thread error');
      });
      worker.on('exit', (code) => {
        if (!started) return fail(`exited with code ${code} while loading`);
        this.onExit(slot, worker, code);
      });
    });
  }

  private onResult(slot: Slot, message: FromThread): void {
    const task = slot.task;
    if (task === undefined || !('id' in message) || message.id !== task.request.id) return;
    slot.task = undefined;
    if (message.type === 'scored') {
      this.counters.batches += 1;
      this.counters.records += task.request.transactions.length;
      const { type: _type, id: _id, ...scores } = message;
      task.resolve(scores);
    } else if (message.type === 'score-failed') {
      task.reject(new InferenceFailedError(message.message));
    }
    this.dispatch();
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.alive = false;
    slot.worker = undefined;
    const task = slot.task;
    slot.task = undefined;
    if (this.closing !== undefined) return;
    this.counters.threadDeaths += 1;
    this.log.error({ thread: slot.index, code }, 'inference thread died; replacing it');
    task?.reject(new InferenceUnavailableError(`inference thread ${slot.index} exited with code ${code} while scoring`));
    // Counts as coming back, so batches queue for it instead of failing fast.
    slot.starting = true;
    const timer = setTimeout(() => {
      if (this.closing !== undefined) return;
      this.startThread(slot).catch((error: unknown) => this.log.error({ err: error, thread: slot.index }, 'could not replace inference thread'));
    }, RESPAWN_DELAY_MS);
    timer.unref();
  }
}
