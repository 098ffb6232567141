import { mkdirSync } from 'node:fs';
import type { SyncBrokerHandle } from '../broker/index.js';
import type { ConnectionInfo } from '../broker/index.js';
import { freePort } from '../env/ports.js';
import type { LocalEnv } from '../env/start.js';
import { percentiles } from '../runner/stats.js';
import { WorkerProcess } from '../runner/worker-process.js';
import { parseDecimalToMinor } from '../../shared/money.js';
import { WEBHOOK_KEYS_PATH } from '../../shared/sync/webhook.js';
import { readUserMonths } from '../../shared/view/scan-view.js';
import type { UserMonth, ViewContents } from '../../shared/view/scan-view.js';
import { localMonth, monthRange } from '../../shared/view/months.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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

/** Time to insight of the sign-ups: from link to the whole history in the view. */
export interface SignupFigures {
  /** Sign-ups whose every transaction (and so every month total) the view shows at its latest version. */
  readonly count: number;
  /** Linked, but not whole in the view (yet). */
  readonly incomplete: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Transactions of the complete sign-ups. */
  readonly transactions: number;
}

/**
 * The sign-ups that are whole in the view, with their time to insight: a sign-up is whole when the
 * view (as the read model collapses it) shows every transaction standing on its connection at the
 * broker, with the amount the broker has now, and nothing else of that connection; month totals are
 * sums of what is shown, so they are then right too. Its time to insight is the last of those
 * transactions' `viewedAt` minus the moment of the link.
 */
export function wholeSignups(view: ViewContents, broker: SyncBrokerHandle, linked: readonly ConnectionInfo[]): Map<string, { ms: number; transactions: number }> {
  const shownByUser = new Map<string, Map<string, { minor: number; viewedAt: number }>>();
  for (const t of view.transactions) {
    let shown = shownByUser.get(t.userId);
    if (shown === undefined) shownByUser.set(t.userId, (shown = new Map()));
    shown.set(t.transactionId, { minor: t.amount.minor, viewedAt: Date.parse(t.viewedAt) });
  }
  const whole = new Map<string, { ms: number; transactions: number }>();
  for (const connection of linked) {
    const standing = broker.standing(connection.connectionId);
    const shown = shownByUser.get(connection.userId) ?? new Map<string, { minor: number; viewedAt: number }>();
    const ofConnection = [...shown.keys()].filter((id) => id.startsWith(`${connection.connectionId}-`));
    const complete =
      standing.length > 0 &&
      ofConnection.length === standing.length &&
      standing.every((t) => shown.get(t.transactionId)?.minor === parseDecimalToMinor(t.amount.value, t.amount.currency).minor);
    if (complete) whole.set(connection.connectionId, { ms: Math.max(...standing.map((t) => shown.get(t.transactionId)?.viewedAt ?? 0)) - connection.linkedAt, transactions: standing.length });
  }
  return whole;
}

/** Time to insight of the sign-ups from their whole ones (see `wholeSignups`). */
export function signupFigures(whole: ReadonlyMap<string, { ms: number; transactions: number }>, linked: number): SignupFigures {
  const times = [...whole.values()].map((w) => w.ms);
  const p = percentiles(times);
  const transactions = [...whole.values()].reduce((n, w) => n + w.transactions, 0);
  return { count: times.length, incomplete: linked - times.length, p50Ms: p.p50, p95Ms: p.p95, maxMs: p.max, transactions };
}

/**
 * The view as far as the linked sign-ups go: each user's months from the first to the last
 * transaction standing on their connections (so a stray item in a month between is seen too), one
 * Query each, instead of a scan of the whole table every poll while live traffic is measured.
 */
export async function readSignupView(dynamodb: DynamoDBClient, tableName: string, broker: SyncBrokerHandle, linked: readonly ConnectionInfo[]): Promise<ViewContents> {
  const userMonths: UserMonth[] = [];
  for (const connection of linked) {
    const months = broker.standing(connection.connectionId).map((t) => localMonth(t.bookedAt)).sort();
    if (months.length === 0) continue;
    for (const month of monthRange(months[0]!, months[months.length - 1]!)) userMonths.push({ userId: connection.userId, month });
  }
  return readUserMonths(dynamodb, tableName, userMonths);
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
  const clients = options.env.clients();
  const started = Date.now();
  const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    for (let i = 0; i < options.count && options.signal?.aborted !== true; i += 1) {
      fleet.link(`signup-${started.toString(36)}-${i}`, options.historySize);
      if (i + 1 < options.count) await wait(options.intervalMs ?? 1_000);
    }
    // A sign-up found whole keeps its time (from the view's viewedAt, not from when it was seen), so
    // each poll reads only the months of those still incomplete: the reads are the measurement's,
    // and on a small machine they take the store's CPU from the pipeline being measured.
    const whole = new Map<string, { ms: number; transactions: number }>();
    for (;;) {
      const pending = fleet.linked.filter((c) => !whole.has(c.connectionId));
      const view = await readSignupView(clients.dynamodb, options.env.names.tables.view, options.broker, pending);
      for (const [connectionId, figure] of wholeSignups(view, options.broker, pending)) whole.set(connectionId, figure);
      const figures = signupFigures(whole, fleet.linked.length);
      options.onStatus?.(`sign-ups: ${figures.count}/${fleet.linked.length} whole in the view${figures.count > 0 ? ` (time to insight p50 ${figures.p50Ms} ms, p95 ${figures.p95Ms} ms)` : ''}`);
      if (figures.incomplete === 0 || options.signal?.aborted === true || Date.now() - started > (options.timeoutMs ?? 180_000)) return figures;
      await wait(2_000);
    }
  } finally {
    clients.destroy();
    await fleet.stop();
  }
}
