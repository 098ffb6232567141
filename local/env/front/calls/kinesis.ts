import { createDecipheriv } from 'node:crypto';
import type { FrontHttpRequest, FrontResponse, KinesisTarget } from '../types.js';
import { LOCAL_SCOPE } from '../identities.js';
import { arnOf } from '../../../../shared/iam/arns.js';
import { lazyJson, topLevelString } from './json-body.js';
import type { ParsedCall } from './parsed-call.js';

/** An iterator AWS hands out is valid for 5 minutes; one the front learnt is forgotten after that. */
const ITERATOR_TTL_MS = 5 * 60_000;
/** Forgetting runs at most this often. */
const SWEEP_EVERY_MS = 30_000;

/** Operations that act on no stream: IAM authorises them on `*`. */
const ACCOUNT_OPERATIONS = new Set(['ListStreams', 'DescribeLimits', 'DescribeAccountSettings', 'UpdateAccountSettings']);

// kinesalite's own iterator encryption (db/index.js), to read the stream and shard of an iterator
// the front did not see handed out (one from before the front started).
const KINESALITE_KEY = Buffer.from('1133a5a833666b49abf28c8ba302930f0b2fb240dccd43cf4dfbc0ca91f17751', 'hex');
const KINESALITE_IV = Buffer.from('7bf139dbabbea2d9995d6fcae1dff7da', 'hex');

function kinesaliteIterator(iterator: string): KinesisTarget | undefined {
  try {
    const buffer = Buffer.from(iterator, 'base64');
    const decipher = createDecipheriv('aes-256-cbc', KINESALITE_KEY, KINESALITE_IV);
    const [, streamName, shardId] = Buffer.concat([decipher.update(buffer.subarray(8)), decipher.final()]).toString('utf8').split('/');
    return streamName === undefined || shardId === undefined ? undefined : { streamName, shardId };
  } catch {
    return undefined;
  }
}

/** `arn:aws:kinesis:us-east-1:0:stream/name` (or `.../consumer/x:1`) -> `name`. */
function streamNameOfArn(arn: string): string | undefined {
  const match = /:stream\/([^/]+)/.exec(arn);
  return match?.[1];
}

/** A string field of the answer, read from its end without parsing (a GetRecords answer carries up to 10 MiB of records before it). */
function lastStringField(body: Buffer, field: string): string | undefined {
  const needle = Buffer.from(`"${field}":"`);
  const at = body.lastIndexOf(needle);
  if (at === -1) return undefined;
  const start = at + needle.length;
  const end = body.indexOf(0x22, start);
  return end === -1 ? undefined : body.toString('utf8', start, end);
}

/**
 * Kinesis (JSON 1.1, `X-Amz-Target: Kinesis_20131202.<Operation>`): the operation, the stream it
 * acts on and the IAM action `kinesis:<Operation>`. GetRecords names only a shard iterator, so
 * the front remembers which stream and shard each iterator it handed out belongs to.
 */
export class KinesisCalls {
  private readonly iterators = new Map<string, { target: KinesisTarget; at: number }>();
  private readonly tokens = new Map<string, { streamName: string; at: number }>();
  private lastSweep = Date.now();

  public parse(http: FrontHttpRequest, body: Buffer): ParsedCall {
    const target = String(http.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const json = lazyJson(body);
    const action = `kinesis:${operation}`;
    if (ACCOUNT_OPERATIONS.has(operation) || operation === '') return { operation, action, access: [{ action, resource: '*' }], json };

    const consumerArn = topLevelString(body, 'ConsumerARN', json);
    let kinesis: KinesisTarget;
    if (operation === 'GetRecords') {
      const iterator = topLevelString(body, 'ShardIterator', json) ?? '';
      kinesis = this.iterators.get(iterator)?.target ?? kinesaliteIterator(iterator) ?? { streamName: undefined, shardId: undefined };
    } else {
      const arn = topLevelString(body, 'StreamARN', json);
      const token = operation === 'ListShards' ? topLevelString(body, 'NextToken', json) : undefined;
      const streamName = topLevelString(body, 'StreamName', json) ?? (arn === undefined ? undefined : streamNameOfArn(arn)) ?? (token === undefined ? undefined : this.tokens.get(token)?.streamName);
      kinesis = { streamName, shardId: topLevelString(body, 'ShardId', json) };
    }
    // A consumer's own calls (SubscribeToShard, DescribeStreamConsumer) are authorised on the consumer.
    const resource = consumerArn ?? (kinesis.streamName === undefined ? undefined : arnOf.stream(LOCAL_SCOPE, kinesis.streamName));
    return { operation, action, access: resource === undefined ? [] : [{ action, resource }], json, kinesis };
  }

  /** Learns the iterators and page tokens an answer hands out. */
  public learn(operation: string, target: KinesisTarget | undefined, response: FrontResponse): void {
    if (response.status !== 200 || target?.streamName === undefined) return;
    const now = Date.now();
    if (operation === 'GetShardIterator') {
      const iterator = lastStringField(response.body, 'ShardIterator');
      if (iterator !== undefined) this.iterators.set(iterator, { target, at: now });
    } else if (operation === 'GetRecords') {
      const next = lastStringField(response.body, 'NextShardIterator');
      if (next !== undefined) this.iterators.set(next, { target, at: now });
    } else if (operation === 'ListShards') {
      const token = lastStringField(response.body, 'NextToken');
      if (token !== undefined) this.tokens.set(token, { streamName: target.streamName, at: now });
    }
    if (now - this.lastSweep > SWEEP_EVERY_MS) this.sweep(now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, entry] of this.iterators) if (now - entry.at > ITERATOR_TTL_MS) this.iterators.delete(key);
    for (const [key, entry] of this.tokens) if (now - entry.at > ITERATOR_TTL_MS) this.tokens.delete(key);
  }
}

