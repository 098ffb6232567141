import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { LocalEnv } from './start.js';

export interface RoundTripStep {
  readonly service: 'kinesis' | 'dynamodb' | 's3' | 'redis';
  readonly what: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
}

async function step(service: RoundTripStep['service'], what: string, run: () => Promise<string>): Promise<RoundTripStep> {
  const started = performance.now();
  try {
    const detail = await run();
    return { service, what, ok: true, ms: Math.round(performance.now() - started), detail };
  } catch (error) {
    return { service, what, ok: false, ms: Math.round(performance.now() - started), detail: (error as Error).message };
  }
}

/**
 * Proves each service of an environment works end to end by writing a record and reading it back:
 * Kinesis put and get on the raw stream, a conditional put and a query on the view table, an
 * object on the archive bucket, and a key in Redis. Items are marked as probes and left for TTL.
 */
export async function roundTrip(env: LocalEnv): Promise<RoundTripStep[]> {
  const clients = env.clients();
  const marker = `probe-${randomUUID()}`;
  try {
    return await Promise.all([
      step('kinesis', `put and get a record on ${env.names.streams.raw}`, async () => {
        const put = await clients.kinesis.send(new PutRecordCommand({ StreamName: env.names.streams.raw, PartitionKey: marker, Data: Buffer.from(marker) }));
        const shards = await clients.kinesis.send(new ListShardsCommand({ StreamName: env.names.streams.raw }));
        if (!shards.Shards?.some((s) => s.ShardId === put.ShardId)) throw new Error(`shard ${put.ShardId} not listed`);
        const iterator = await clients.kinesis.send(
          new GetShardIteratorCommand({ StreamName: env.names.streams.raw, ShardId: put.ShardId!, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: put.SequenceNumber! }),
        );
        const got = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator!, Limit: 1 }));
        const data = got.Records?.[0]?.Data;
        if (data === undefined || Buffer.from(data).toString() !== marker) throw new Error('the record read back differs from the one put');
        return `${put.ShardId} seq ${put.SequenceNumber}`;
      }),
      step('dynamodb', `conditional put and query on ${env.names.tables.view}`, async () => {
        const item = { pk: { S: `PROBE#${marker}` }, sk: { S: 'PROBE' }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) } };
        const put = new PutItemCommand({ TableName: env.names.tables.view, Item: item, ConditionExpression: 'attribute_not_exists(pk)' });
        await clients.dynamodb.send(put);
        let secondRefused = false;
        try {
          await clients.dynamodb.send(put);
        } catch (error) {
          secondRefused = (error as Error).name === 'ConditionalCheckFailedException';
        }
        if (!secondRefused) throw new Error('a second conditional put was not refused');
        const query = await clients.dynamodb.send(
          new QueryCommand({ TableName: env.names.tables.view, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': item.pk } }),
        );
        if (query.Count !== 1) throw new Error(`query found ${query.Count} items, expected 1`);
        return 'second put refused by its condition; query found the item';
      }),
      step('s3', `put and get an object on ${env.names.buckets.rawArchive}`, async () => {
        const key = `probes/${marker}.txt`;
        await clients.s3.send(new PutObjectCommand({ Bucket: env.names.buckets.rawArchive, Key: key, Body: marker }));
        const got = await clients.s3.send(new GetObjectCommand({ Bucket: env.names.buckets.rawArchive, Key: key }));
        const body = await got.Body?.transformToString();
        if (body !== marker) throw new Error('the object read back differs from the one put');
        return key;
      }),
      step('redis', 'set and get a key', async () => {
        const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await redis.connect();
          await redis.set(marker, 'ok', 'EX', 60);
          const value = await redis.get(marker);
          if (value !== 'ok') throw new Error(`read back '${value}'`);
          const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
          return `maxmemory-policy ${policy[1]}`;
        } finally {
          redis.disconnect();
        }
      }),
    ]);
  } finally {
    clients.destroy();
  }
}
