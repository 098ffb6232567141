import { CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { BUCKETS, STREAMS, STREAM_CONSUMERS, TABLES, resourceNames } from '../../shared/catalog.js';
import type { StackResourceNames, StreamConsumerName, StreamName, TableName } from '../../shared/catalog.js';
import { LocalEnvError } from './errors.js';

export interface ProvisionOptions {
  readonly stack: string;
  /** Shards per stream; the catalog's default where not given. */
  readonly shards?: Partial<Record<StreamName, number>>;
  /** How long a stream or table may stay in CREATING. @default 30000 ms */
  readonly activeTimeoutMs?: number;
}

export interface ProvisionClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new LocalEnvError(`${what} did not become active within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function ensureStream(kinesis: KinesisClient, name: string, shards: number, timeoutMs = 30_000): Promise<void> {
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
  }
  await until(`stream ${name}`, timeoutMs, async () => {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
  });
}

/**
 * Registers a stream consumer unless it is registered, and waits until it is ACTIVE (a consumer
 * still CREATING is refused subscriptions); resolves with its ARN.
 */
export async function ensureStreamConsumer(kinesis: KinesisClient, streamName: string, consumerName: string, timeoutMs = 30_000): Promise<string> {
  const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const StreamARN = StreamDescriptionSummary?.StreamARN;
  let consumerArn: string | undefined;
  try {
    consumerArn = (await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN, ConsumerName: consumerName }))).Consumer?.ConsumerARN;
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
    consumerArn = (await kinesis.send(new DescribeStreamConsumerCommand({ StreamARN, ConsumerName: consumerName }))).ConsumerDescription?.ConsumerARN;
  }
  if (consumerArn === undefined) throw new LocalEnvError(`registering consumer ${consumerName} of stream ${streamName} returned no ARN`);
  const arn = consumerArn;
  await until(`consumer ${consumerName} of stream ${streamName}`, timeoutMs, async () => {
    const described = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }));
    return described.ConsumerDescription?.ConsumerStatus === 'ACTIVE';
  });
  return arn;
}

/** Every catalog stream consumer of a stack, registered and ACTIVE: their ARNs by logical name. */
export async function ensureStreamConsumers(kinesis: KinesisClient, names: StackResourceNames, timeoutMs = 30_000): Promise<Record<StreamConsumerName, string>> {
  const entries = await Promise.all(
    (Object.keys(STREAM_CONSUMERS) as StreamConsumerName[]).map(async (logical) => {
      const spec = STREAM_CONSUMERS[logical];
      return [logical, await ensureStreamConsumer(kinesis, names.streams[spec.stream], spec.consumerName, timeoutMs)] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<StreamConsumerName, string>;
}

export async function ensureTable(dynamodb: DynamoDBClient, name: string, logical: TableName, timeoutMs = 30_000): Promise<void> {
  const spec = TABLES[logical];
  const keys = [spec.partitionKey, ...('sortKey' in spec ? [spec.sortKey] : [])];
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
        KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
  }
  await until(`table ${name}`, timeoutMs, async () => {
    const table = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    return table.Table?.TableStatus === 'ACTIVE';
  });
  if ('ttlAttribute' in spec) {
    try {
      await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true } }));
    } catch (error) {
      // dynalite has no TTL API, and a second call on a table that has it already is refused;
      // items still carry the attribute, so nothing is lost either way.
      const name = errorName(error);
      if (name !== 'UnknownOperationException' && name !== 'ValidationException') throw error;
    }
  }
}

export async function ensureBucket(s3: S3Client, name: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    return;
  } catch {
    // absent: create it below
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    const name = errorName(error);
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}

/** A provisioned stack: its physical names, and the ARNs of its registered stream consumers. */
export interface ProvisionedCatalog extends StackResourceNames {
  readonly consumerArns: Readonly<Record<StreamConsumerName, string>>;
}

/** Creates every catalog resource of a stack that is missing (stream consumers included); running it twice changes nothing. */
export async function provisionCatalog(clients: ProvisionClients, options: ProvisionOptions): Promise<ProvisionedCatalog> {
  const names = resourceNames(options.stack);
  const timeout = options.activeTimeoutMs ?? 30_000;
  await Promise.all([
    ...(Object.keys(STREAMS) as StreamName[]).map((logical) =>
      ensureStream(clients.kinesis, names.streams[logical], options.shards?.[logical] ?? STREAMS[logical].defaultShards, timeout),
    ),
    ...(Object.keys(TABLES) as TableName[]).map((logical) => ensureTable(clients.dynamodb, names.tables[logical], logical, timeout)),
    ...(Object.keys(BUCKETS) as (keyof typeof BUCKETS)[]).map((logical) => ensureBucket(clients.s3, names.buckets[logical])),
  ]);
  return { ...names, consumerArns: await ensureStreamConsumers(clients.kinesis, names, timeout) };
}
