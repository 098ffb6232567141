import type { WorkerRoleName, WorkerVariable } from '../../shared/worker-env.js';
import { LOOPBACK, freePort } from '../env/ports.js';
import type { LocalEnv } from '../env/start.js';
import { WorkerProcess } from './worker-process.js';

/** The long-running roles of the pipeline, in the order data flows through them (the read API last). */
export const PIPELINE_ROLES = ['api', 'projector', 'scorer', 'stream-reader', 'crawler'] as const satisfies readonly WorkerRoleName[];
export type PipelineRole = (typeof PIPELINE_ROLES)[number];
/** Processes per role unless asked otherwise: the read API only when a run serves the page. */
const DEFAULT_COUNT: Readonly<Record<PipelineRole, number>> = { api: 0, projector: 1, scorer: 1, 'stream-reader': 1, crawler: 1 };

export interface LocalPipelineOptions {
  readonly env: LocalEnv;
  readonly broker: { readonly url: string; readonly apiKey: string };
  /** Folder for each worker's JSON log. */
  readonly logDir: string;
  /** Processes per role. @default one each, no api */
  readonly workers?: Partial<Record<PipelineRole, number>>;
  /** Worker-contract values that override the defaults (tuning knobs). */
  readonly tuning?: Partial<Record<WorkerVariable, string | number | boolean>>;
  /** How long a worker may take to report healthy. @default 60000 ms */
  readonly startTimeoutMs?: number;
  /** Stops start-up between roles when it aborts: the workers started are stopped and the abort's reason is thrown. */
  readonly signal?: AbortSignal;
}

/** Tuning for a laptop run: quicker lease hand-over and polling than the AWS defaults. */
export const LOCAL_TUNING = {
  LOG_LEVEL: 'info',
  LEASE_FAILOVER_MS: 6000,
  READ_IDLE_MS: 100,
  CRAWLER_IDLE_MS: 200,
  CRAWLER_PAGE_SIZE: 500,
  SHUTDOWN_TIMEOUT_MS: 20000,
  INFERENCE_THREADS: 1,
} as const satisfies Partial<Record<WorkerVariable, string | number | boolean>>;

/**
 * The pipeline's workers as separate processes against a local environment, started downstream
 * first (projector, scorer, stream-reader, crawler) so nothing waits on a consumer that is not
 * there yet, and stopped upstream first so each stage drains into a running next one.
 */
export class LocalPipeline {
  private readonly byRole = new Map<PipelineRole, WorkerProcess[]>();
  private readonly apiPorts = new Map<WorkerProcess, number>();
  private readonly values: Partial<Record<WorkerVariable, string | number | boolean>>;
  private stopping: Promise<void> | undefined;

  private constructor(private readonly options: LocalPipelineOptions) {
    this.values = {
      ...options.env.workerValues,
      BROKER_URL: options.broker.url,
      BROKER_API_KEY: options.broker.apiKey,
      ...LOCAL_TUNING,
      ...options.tuning,
    };
  }

  public static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const pipeline = new LocalPipeline(options);
    try {
      for (const role of PIPELINE_ROLES) {
        options.signal?.throwIfAborted();
        const count = options.workers?.[role] ?? DEFAULT_COUNT[role];
        await Promise.all(Array.from({ length: count }, () => pipeline.addWorker(role)));
      }
      options.signal?.throwIfAborted();
    } catch (error) {
      await pipeline.stop();
      throw error;
    }
    return pipeline;
  }

  /** Starts one more process of a role and waits until it is healthy (scale-out). */
  public async addWorker(role: PipelineRole): Promise<WorkerProcess> {
    const list = this.byRole.get(role) ?? [];
    this.byRole.set(role, list);
    // The read API listens on a port of its own, on loopback only.
    const values = role === 'api' ? { ...this.values, API_PORT: await freePort(), API_HOST: LOOPBACK } : this.values;
    // Each worker signs with its own role's key pair, so the fronts allow it only what its role's grants do.
    const worker = new WorkerProcess({ role, instance: list.length + 1, values, awsEnv: this.options.env.awsEnvFor(role), logDir: this.options.logDir });
    list.push(worker);
    if (role === 'api') this.apiPorts.set(worker, Number(values.API_PORT));
    await worker.start();
    await worker.waitHealthy(this.options.startTimeoutMs ?? 60_000);
    return worker;
  }

  /** Where the first read API process serves the insights page and the API; undefined without one. */
  public get apiUrl(): string | undefined {
    const port = [...this.apiPorts.values()][0];
    return port === undefined ? undefined : `http://${LOOPBACK}:${port}`;
  }

  public workers(role?: PipelineRole): WorkerProcess[] {
    if (role !== undefined) return [...(this.byRole.get(role) ?? [])];
    return PIPELINE_ROLES.flatMap((r) => this.byRole.get(r) ?? []);
  }

  /** Workers that died without being asked to (a crash the run should report). */
  public dead(): WorkerProcess[] {
    return this.workers().filter((w) => !w.alive);
  }

  /** SIGTERM upstream first; each worker drains within its shutdown budget. Safe to call twice. */
  public stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const role of [...PIPELINE_ROLES].reverse()) {
        await Promise.all((this.byRole.get(role) ?? []).map((w) => w.stop()));
      }
    })();
    return this.stopping;
  }
}
