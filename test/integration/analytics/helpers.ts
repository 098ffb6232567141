import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { DeleteBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ensureBucket, ensureStream, ensureTable } from '../../../local/env/provision.js';
import type { LocalEnv } from '../../../local/env/index.js';
import type { AwsClients } from '../../../shared/aws/clients.js';
import { LANE_STREAMS, resourceNames } from '../../../shared/catalog.js';
import type { StackResourceNames, TableName } from '../../../shared/catalog.js';
import { archiveObjectKey, deliveryStreamName } from '../../../shared/archive/archive-key.js';
import { BatchJob } from '../../../workers/batch/batch-job.js';
import type { BatchJobOptions } from '../../../workers/batch/batch-options.js';
import { listAll, putBytes } from '../../../workers/lib/s3-objects.js';
import type { ContractRoleName } from '../../../shared/iam/grants.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';

/** A test's own stack on the shared embedded environment; `cleanup()` removes everything in it. */
export interface AnalyticsStack {
  readonly env: LocalEnv;
  readonly stack: string;
  /** The operator's clients: test input and reading state back. Role code gets `as(role)`. */
  readonly clients: AwsClients & { destroy(): void };
  /** Clients acting as `role` of this stack (made once per role). */
  as(role: ContractRoleName): AwsClients;
  readonly names: StackResourceNames;
  cleanup(): Promise<void>;
}

/** What analytics needs of a stack: the archive and analytics buckets and these tables; both lanes' raw streams on request (the archiver reads them, a replay puts on the history lane's). */
const TABLES_USED: readonly TableName[] = ['batchState', 'rejects', 'view', 'leases'];
const RAW_STREAMS = [LANE_STREAMS.live.raw, LANE_STREAMS.history.raw] as const;

export async function analyticsStack(options: { rawStream?: boolean } = {}): Promise<AnalyticsStack> {
  const env = await getLocalEnv();
  const clients = env.clients();
  const stack = uniqueStack();
  const names = resourceNames(stack);
  await Promise.all([
    ...TABLES_USED.map((logical) => ensureTable(clients.dynamodb, names.tables[logical], logical)),
    ...Object.values(names.buckets).map((bucket) => ensureBucket(clients.s3, bucket)),
    ...(options.rawStream ? RAW_STREAMS.map((logical) => ensureStream(clients.kinesis, names.streams[logical], 1)) : []),
  ]);
  const byRole = new Map<ContractRoleName, AwsClients & { destroy(): void }>();
  return {
    env,
    stack,
    clients,
    as(role) {
      let roleClients = byRole.get(role);
      if (roleClients === undefined) {
        roleClients = env.clientsFor(role, stack);
        byRole.set(role, roleClients);
      }
      return roleClients;
    },
    names,
    async cleanup() {
      for (const bucket of Object.values(names.buckets)) {
        for (const object of await listAll(clients.s3, bucket, '')) await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.key }));
      }
      await Promise.allSettled([
        ...(options.rawStream ? RAW_STREAMS.map((logical) => clients.kinesis.send(new DeleteStreamCommand({ StreamName: names.streams[logical], EnforceConsumerDeletion: true }))) : []),
        ...TABLES_USED.map((logical) => clients.dynamodb.send(new DeleteTableCommand({ TableName: names.tables[logical] }))),
        ...Object.values(names.buckets).map((name) => clients.s3.send(new DeleteBucketCommand({ Bucket: name }))),
      ]);
      clients.destroy();
      for (const roleClients of byRole.values()) roleClients.destroy();
    },
  };
}

/** Writes lines as one archive object, as Firehose would name it for that arrival time; returns its key. */
export async function putArchiveObject(s: AnalyticsStack, lines: readonly string[], arrival: Date = new Date()): Promise<string> {
  return putRawArchiveBytes(s, gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join(''))), arrival);
}

/** Writes any bytes under an archive key (corrupt objects). */
export async function putRawArchiveBytes(s: AnalyticsStack, bytes: Uint8Array, arrival: Date = new Date()): Promise<string> {
  const key = archiveObjectKey({ deliveryStreamName: deliveryStreamName(s.stack), oldestArrival: arrival, uuid: randomUUID() });
  await putBytes(s.clients.s3, s.names.buckets.rawArchive, key, bytes, 'application/octet-stream');
  return key;
}

/** The batch job over a test stack, small chunks and one DuckDB thread (the machine is shared). */
export function batchJob(s: AnalyticsStack, overrides: Partial<BatchJobOptions> = {}): BatchJob {
  return new BatchJob({
    s3: s.as('batch').s3,
    dynamodb: s.as('batch').dynamodb,
    rawArchiveBucket: s.names.buckets.rawArchive,
    analyticsBucket: s.names.buckets.analytics,
    batchStateTable: s.names.tables.batchState,
    rejectsTable: s.names.tables.rejects,
    viewTable: s.names.tables.view,
    threads: 1,
    ...overrides,
  });
}

/** Every object under a prefix with its ETag: what a second run must leave alone. */
export async function snapshot(s: AnalyticsStack, bucket: string, prefix: string): Promise<Map<string, string | undefined>> {
  return new Map((await listAll(s.clients.s3, bucket, prefix)).map((o) => [o.key, o.etag]));
}
