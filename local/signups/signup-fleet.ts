import { mkdirSync } from 'node:fs';
import type { SyncBrokerHandle } from '../broker/index.js';
import type { ConnectionInfo } from '../broker/index.js';
import { freePort } from '../env/ports.js';
import type { LocalEnv } from '../env/start.js';
import { WorkerProcess } from '../runner/worker-process.js';
import { SignupProgress } from './signup-progress.js';
import type { SignupFigures } from './signup-progress.js';
import { WEBHOOK_KEYS_PATH } from '../../shared/sync/webhook.js';
import type { WorkerVariable } from '../../shared/worker-env.js';

/** The webhook route (`workers/webhook/receiver.ts`); kept here as a string so `local/` needs no worker import for it. */
const WEBHOOK_ROUTE_PATH = '/webhooks/transactions';

export interface SignupFleetOptions {
  /** The environment as the stack under test sees it (its names, Redis, identities). */
  readonly env: LocalEnv;
  /** The broker with the aggregator API; its webhooks are pointed at the fleet's webhook role. */
  readonly broker: SyncBrokerHandle;
  readonly logDir: string;
  /** Crawler processes on the sync source. @default 1 */
  readonly crawlers?: number;
  /** Worker-contract overrides (page size, concurrency, lock duration). */
  readonly tuning?: Partial<Record<WorkerVariable, string | number | boolean>>;
}

/**
 * The sign-up path on real processes beside a running pipeline: the webhook role and crawler
 * processes on the sync source (`CRAWLER_SOURCE=sync`), on the stack's own raw stream, so linked
 * connections' histories flow through the same stream-reader, scorer and projector as the live
 * feed. For the bench's sign-up phase, the local runner's `signups` figures and the fault suite.
 *
 * @example
 * const fleet = await SignupFleet.start({ env, broker, logDir, crawlers: 2 });
 * const linked = fleet.link('user-1', 2400);
 * ... // wait, scan the view
 * const figures = signupFigures(view, broker, fleet.linked);
 * await fleet.stop();
 */
export class SignupFleet {
  public readonly linked: ConnectionInfo[] = [];
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: SignupFleetOptions,
    private readonly values: Partial<Record<WorkerVariable, string | number | boolean>>,
    public readonly webhook: WorkerProcess,
    public readonly crawlers: WorkerProcess[],
  ) {}

  public static async start(options: SignupFleetOptions): Promise<SignupFleet> {
    mkdirSync(options.logDir, { recursive: true });
    const webhookPort = await freePort();
    const values: Partial<Record<WorkerVariable, string | number | boolean>> = {
      ...options.env.workerValues,
      BROKER_URL: options.broker.url,
      BROKER_API_KEY: options.broker.apiKey,
      CRAWLER_SOURCE: 'sync',
      WEBHOOK_JWKS_URL: new URL(WEBHOOK_KEYS_PATH, options.broker.url).href,
      WEBHOOK_PORT: webhookPort,
      WEBHOOK_HOST: '127.0.0.1',
      ...options.tuning,
    };
    const webhook = await SignupFleet.spawn(options, values, 'webhook', 1);
    options.broker.setWebhookUrl(`http://127.0.0.1:${webhookPort}${WEBHOOK_ROUTE_PATH}`);
    const crawlers: WorkerProcess[] = [];
    try {
      for (let i = 0; i < (options.crawlers ?? 1); i += 1) crawlers.push(await SignupFleet.spawn(options, values, 'crawler', 100 + i));
    } catch (error) {
      await Promise.allSettled([webhook, ...crawlers].map((w) => w.stop(5_000)));
      throw error;
    }
    return new SignupFleet(options, values, webhook, crawlers);
  }

  private static async spawn(options: SignupFleetOptions, values: Partial<Record<WorkerVariable, string | number | boolean>>, role: 'crawler' | 'webhook', instance: number): Promise<WorkerProcess> {
    const worker = new WorkerProcess({ role, instance, values, awsEnv: options.env.awsEnvFor(role), logDir: options.logDir });
    await worker.start();
    await worker.waitHealthy(60_000);
    return worker;
  }

  /** One more crawler process (the fleet scales out; the fault suite replaces a killed one). */
  public async addCrawler(): Promise<WorkerProcess> {
    const worker = await SignupFleet.spawn(this.options, this.values, 'crawler', 100 + this.crawlers.length);
    this.crawlers.push(worker);
    return worker;
  }

  /** A user signs up and links a bank: the broker's history job starts; its webhook reaches the fleet. */
  public link(userId: string, historySize?: number): ConnectionInfo {
    const info = this.options.broker.link(userId, historySize);
    this.linked.push(info);
    return info;
  }

  /** Stops the webhook role and the crawlers (SIGTERM: the page in flight is saved). Idempotent. */
  public stop(): Promise<void> {
    this.stopping ??= Promise.allSettled([this.webhook, ...this.crawlers].map((w) => w.stop(15_000))).then(() => undefined);
    return this.stopping;
  }
}

export interface SignupRunOptions {
  readonly env: LocalEnv;
  readonly broker: SyncBrokerHandle;
  readonly logDir: string;
  /** Users who sign up, one every `intervalMs`. */
  readonly count: number;
  /** @default the broker's (2,400) */
  readonly historySize?: number;
  /** @default 1,000 ms */
  readonly intervalMs?: number;
  /** @default 1 */
  readonly crawlers?: number;
  /** The fleet's worker-contract overrides (see `SignupFleetOptions.tuning`). */
  readonly tuning?: SignupFleetOptions['tuning'];
  /** Give up waiting for whole histories after this long (figures then count the incomplete ones). @default 180,000 ms */
  readonly timeoutMs?: number;
  /** The sign-ups' own progress line. */
  readonly onStatus?: (line: string) => void;
  /** The fleet once it is up: its processes' CPU can be read after the run (`WorkerProcess.cpu()`). */
  readonly onFleet?: (fleet: SignupFleet) => void;
  readonly signal?: AbortSignal;
}

/**
 * Sign-ups beside a running pipeline, start to end: the fleet starts, `count` users link a bank,
 * the sign-ups' months of the view are read every two seconds until each history is whole, the fleet stops. For the
 * local runner's `signups` summary and the bench's sign-up phase.
 */
export async function runSignups(options: SignupRunOptions): Promise<SignupFigures> {
  const fleet = await SignupFleet.start({
    env: options.env,
    broker: options.broker,
    logDir: options.logDir,
    ...(options.crawlers === undefined ? {} : { crawlers: options.crawlers }),
    ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
  });
  options.onFleet?.(fleet);
  const clients = options.env.clients();
  const started = Date.now();
  const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    for (let i = 0; i < options.count && options.signal?.aborted !== true; i += 1) {
      fleet.link(`signup-${started.toString(36)}-${i}`, options.historySize);
      if (i + 1 < options.count) await wait(options.intervalMs ?? 1_000);
    }
    const progress = new SignupProgress(clients.dynamodb, options.env.names.tables.view, options.broker);
    for (;;) {
      const pollStarted = performance.now();
      const figures = await progress.poll(fleet.linked);
      const pollMs = performance.now() - pollStarted;
      options.onStatus?.(`sign-ups: ${figures.count}/${fleet.linked.length} whole in the view${figures.count > 0 ? ` (time to insight p50 ${figures.p50Ms} ms, p95 ${figures.p95Ms} ms)` : ''}`);
      if (figures.incomplete === 0 || options.signal?.aborted === true || Date.now() - started > (options.timeoutMs ?? 180_000)) return figures;
      // The polls are the measurement's reads: at least ten times their own duration apart.
      await wait(Math.max(2_000, 10 * pollMs));
    }
  } finally {
    clients.destroy();
    await fleet.stop();
  }
}
