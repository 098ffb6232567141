import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { GetRecordsCommandOutput, KinesisClient } from '@aws-sdk/client-kinesis';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../../local/broker/index.js';
import type { BrokerOptions, SyncBrokerHandle } from '../../../local/broker/index.js';
import { freePort } from '../../../local/env/ports.js';
import { WorkerProcess } from '../../../local/runner/worker-process.js';
import { rawRecordSchema } from '../../../shared/schemas/raw-record.js';
import type { RawRecord } from '../../../shared/schemas/raw-record.js';
import { WEBHOOK_KEYS_PATH } from '../../../shared/sync/webhook.js';
import type { WorkerVariable } from '../../../shared/worker-env.js';
import { WEBHOOK_PATH } from '../../../workers/webhook/receiver.js';
import { testStack } from '../../helpers/local-env.js';
import type { TestStack } from '../../helpers/local-env.js';

/**
 * The ingest half of the pipeline on real processes, for the sync scenarios: the mock broker with
 * its aggregator API, the webhook role, and crawler processes on the sync source, on a stack of
 * their own. What they produce is read back from the raw stream and compared with what the broker
 * says stands on each connection.
 */
export interface SyncFleet {
  readonly stack: TestStack;
  readonly broker: SyncBrokerHandle;
  readonly webhook: WorkerProcess;
  readonly crawlers: WorkerProcess[];
  readonly logDir: string;
  /** Where the webhook role listens (the broker posts there). */
  readonly webhookUrl: string;
  addCrawler(): Promise<WorkerProcess>;
  /** Every record on both lanes' raw streams, all shards. */
  readStream(): Promise<RawRecord[]>;
  stop(): Promise<void>;
}

export async function startSyncFleet(options: { name: string; crawlers: number; broker: Partial<BrokerOptions>; tuning?: Partial<Record<WorkerVariable, string | number | boolean>> }): Promise<SyncFleet> {
  const stack = await testStack({ shards: { raw: 2, rawHistory: 2 } });
  const logDir = join(tmpdir(), 'insights-faults', `${options.name}-${stack.stack}`);
  mkdirSync(logDir, { recursive: true });
  const broker = await startBroker({ records: 0, ...options.broker });
  const webhookPort = await freePort();
  const values: Partial<Record<WorkerVariable, string | number | boolean>> = {
    ...stack.env.workerValues,
    BROKER_URL: broker.url,
    BROKER_API_KEY: broker.apiKey,
    CRAWLER_SOURCE: 'sync',
    WEBHOOK_JWKS_URL: new URL(WEBHOOK_KEYS_PATH, broker.url).href,
    WEBHOOK_PORT: webhookPort,
    WEBHOOK_HOST: '127.0.0.1',
    ...options.tuning,
  };
  const spawn = async (role: 'crawler' | 'webhook', instance: number): Promise<WorkerProcess> => {
    const worker = new WorkerProcess({ role, instance, values, awsEnv: stack.env.awsEnvFor(role), logDir });
    await worker.start();
    await worker.waitHealthy(60_000);
    return worker;
  };
  const webhook = await spawn('webhook', 1);
  const webhookUrl = `http://127.0.0.1:${webhookPort}${WEBHOOK_PATH}`;
  broker.setWebhookUrl(webhookUrl);
  const crawlers: WorkerProcess[] = [];
  for (let i = 0; i < options.crawlers; i += 1) crawlers.push(await spawn('crawler', i + 1));
  let stopping: Promise<void> | undefined;
  return {
    stack,
    broker,
    webhook,
    crawlers,
    logDir,
    webhookUrl,
    async addCrawler() {
      const worker = await spawn('crawler', crawlers.length + 1);
      crawlers.push(worker);
      return worker;
    },
    // Both lanes' raw streams: history syncs put onto the history lane's.
    readStream: async () => (await Promise.all([stack.names.streams.raw, stack.names.streams.rawHistory].map((name) => readStream(stack.operator.kinesis, name)))).flat(),
    stop() {
      stopping ??= (async () => {
        await broker.close();
        await Promise.allSettled([webhook, ...crawlers].map((w) => w.stop(10_000)));
        await stack.cleanup();
      })();
      return stopping;
    },
  };
}

async function readStream(kinesis: KinesisClient, streamName: string): Promise<RawRecord[]> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const perShard = await Promise.all(
    shards.map(async (shard) => {
      const out: RawRecord[] = [];
      let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (iterator !== undefined) {
        const page: GetRecordsCommandOutput = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        for (const record of page.Records ?? []) out.push(rawRecordSchema.parse(JSON.parse(Buffer.from(record.Data ?? []).toString('utf8'))));
        if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
        iterator = page.NextShardIterator;
      }
      return out;
    }),
  );
  return perShard.flat();
}

/**
 * What the view would show from these records: per transaction its highest revision (at one
 * revision the new version over the `removed` of its old date), removed ones gone.
 */
export function collapseStream(records: readonly RawRecord[]): Map<string, RawRecord> {
  const latest = new Map<string, RawRecord>();
  for (const r of records) {
    const held = latest.get(r.transaction.transactionId);
    const rev = r.change?.revision ?? 0;
    const heldRev = held?.change?.revision ?? -1;
    if (held === undefined || rev > heldRev || (rev === heldRev && held.change?.kind === 'removed' && r.change?.kind !== 'removed')) latest.set(r.transaction.transactionId, r);
  }
  for (const [id, r] of latest) if (r.change?.kind === 'removed') latest.delete(id);
  return latest;
}

/**
 * Lost: transactions standing at the broker missing from the collapse. Double-counted: the
 * collapse shows a transaction the broker removed, or one at a version other than its latest (its
 * month total would count a wrong amount).
 */
export function compareWithBroker(records: readonly RawRecord[], broker: SyncBrokerHandle): { lost: number; doubleCounted: number; standing: number } {
  const shown = collapseStream(records);
  const truth = new Map(broker.connections().flatMap((c) => broker.standing(c.connectionId)).map((t) => [t.transactionId, t]));
  let lost = 0;
  let doubleCounted = 0;
  for (const [id, t] of truth) {
    const r = shown.get(id);
    if (r === undefined) lost += 1;
    else if (r.transaction.amount.value !== t.amount.value || r.transaction.bookedAt !== t.bookedAt) doubleCounted += 1;
  }
  for (const id of shown.keys()) if (!truth.has(id)) doubleCounted += 1;
  return { lost, doubleCounted, standing: truth.size };
}
