import { DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, ListShardsCommand, ListStreamConsumersCommand, PutRecordsCommand, RegisterStreamConsumerCommand, SplitShardCommand, SubscribeToShardCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, SubscribeToShardEvent } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { startFronts } from '../../../local/env/front/fronts.js';
import type { Fronts } from '../../../local/env/front/fronts.js';
import { fanOutMiddleware } from '../../../local/env/front/fan-out/fan-out-middleware.js';
import { iamMiddleware } from '../../../local/env/front/iam/iam-middleware.js';
import { kinesisLimitsMiddleware } from '../../../local/env/front/limits/kinesis-limits.js';
import { LOCAL_REGION, operatorCredentials, roleCredentials } from '../../../local/env/front/identities.js';
import { provisionCatalog } from '../../../local/env/provision.js';
import { createKinesisClient, createKinesisFanOutClient } from '../../../shared/aws/clients.js';
import type { StackResourceNames } from '../../../shared/catalog.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';

/** What one subscription saw until it ended: its events, and the error that ended it, if one did. */
interface Subscribed {
  readonly events: SubscribeToShardEvent[];
  readonly error: Error | undefined;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Local front: enhanced fan-out (stream consumers and SubscribeToShard)', function () {
  this.timeout(60_000);
  let fronts: Fronts;
  let kinesis: KinesisClient;
  let fanOut: KinesisClient;
  let names: StackResourceNames;
  let stack: string;

  before(async () => {
    const env = await getLocalEnv();
    const operator = env.clients();
    stack = uniqueStack();
    try {
      names = await provisionCatalog(operator, { stack, shards: { raw: 1, results: 1 } });
    } finally {
      operator.destroy();
    }
    // A front of this test's own, with AWS's five-minute and five-second rules shortened so the test sees them.
    const upstreams = env.front?.upstreams ?? env.endpoints;
    const middlewares = [iamMiddleware, fanOutMiddleware({ activationMs: 300, subscriptionMs: 1_500, resubscribeMs: 600, idleEventMs: 400 }), kinesisLimitsMiddleware];
    fronts = await startFronts({ services: [{ service: 'kinesis', upstream: upstreams.kinesis }], middlewares });
    const clientEnv = { AWS_ENDPOINT_URL_KINESIS: fronts.endpoints.kinesis ?? '' };
    kinesis = createKinesisClient({ region: LOCAL_REGION, credentials: operatorCredentials(), maxAttempts: 1, env: clientEnv });
    fanOut = createKinesisFanOutClient({ region: LOCAL_REGION, credentials: operatorCredentials(), maxAttempts: 1, env: clientEnv });
  });

  after(async () => {
    kinesis?.destroy();
    fanOut?.destroy();
    await fronts?.close();
  });

  async function register(streamName: string, consumerName: string): Promise<string> {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: StreamDescriptionSummary?.StreamARN, ConsumerName: consumerName }));
    return Consumer?.ConsumerARN ?? '';
  }

  async function activeConsumer(streamName: string, consumerName: string): Promise<string> {
    const arn = await register(streamName, consumerName);
    await until(() => kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn })), (d) => d.ConsumerDescription?.ConsumerStatus === 'ACTIVE');
    return arn;
  }

  /** Reads a subscription's events until it ends (or `stopAfter` says enough). */
  async function subscribe(client: KinesisClient, consumerArn: string, shardId: string, stopAfter: (events: SubscribeToShardEvent[]) => boolean = () => false): Promise<Subscribed> {
    const events: SubscribeToShardEvent[] = [];
    const abort = new AbortController();
    try {
      const { EventStream } = await client.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: { Type: 'TRIM_HORIZON' } }), { abortSignal: abort.signal });
      for await (const event of EventStream ?? []) {
        if (event.SubscribeToShardEvent !== undefined) events.push(event.SubscribeToShardEvent);
        if (stopAfter(events)) {
          abort.abort();
          break;
        }
      }
      return { events, error: undefined };
    } catch (error) {
      return { events, error: error as Error };
    }
  }

  async function firstShard(streamName: string): Promise<string> {
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    return Shards?.[0]?.ShardId ?? '';
  }

  it('registers a consumer CREATING, lists it, and makes it ACTIVE a moment later', async () => {
    // Prepare
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: names.streams.results }));

    // Act
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: StreamDescriptionSummary?.StreamARN, ConsumerName: 'lister' }));
    const listed = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: StreamDescriptionSummary?.StreamARN }));
    const duplicate = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: StreamDescriptionSummary?.StreamARN, ConsumerName: 'lister' })).catch((error: Error) => error);
    const active = await until(() => kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer?.ConsumerARN })), (d) => d.ConsumerDescription?.ConsumerStatus === 'ACTIVE');

    // Assess
    expect(Consumer?.ConsumerStatus).to.equal('CREATING');
    expect(Consumer?.ConsumerARN).to.match(new RegExp(`^${StreamDescriptionSummary?.StreamARN ?? ''}/consumer/lister:\\d+$`));
    expect(listed.Consumers?.map((c) => c.ConsumerName)).to.deep.equal(['lister']);
    expect((duplicate as Error).name).to.equal('ResourceInUseException');
    expect(active.ConsumerDescription).to.include({ ConsumerStatus: 'ACTIVE', StreamARN: StreamDescriptionSummary?.StreamARN });
  });

  it('pushes the records written to the shard, in order, without spending a GetRecords call', async () => {
    // Prepare
    const consumerArn = await activeConsumer(names.streams.raw, 'pushed');
    const shardId = await firstShard(names.streams.raw);
    const before = fronts.stats().fronts[0]?.operations ?? {};

    // Act: subscribe, then write while it listens
    const reading = subscribe(fanOut, consumerArn, shardId, (events) => events.flatMap((e) => e.Records ?? []).length >= 30);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let batch = 0; batch < 3; batch++) {
      const Records = Array.from({ length: 10 }, (_, i) => ({ PartitionKey: 'user-1', Data: Buffer.from(`r${batch * 10 + i}`) }));
      await kinesis.send(new PutRecordsCommand({ StreamName: names.streams.raw, Records }));
    }
    const { events, error } = await reading;

    // Assess
    expect(error).to.equal(undefined);
    const records = events.flatMap((e) => e.Records ?? []);
    expect(records.map((r) => Buffer.from(r.Data ?? []).toString())).to.deep.equal(Array.from({ length: 30 }, (_, i) => `r${i}`));
    expect(events.at(-1)?.ContinuationSequenceNumber).to.equal(records.at(-1)?.SequenceNumber);
    const after = fronts.stats().fronts[0]?.operations ?? {};
    const getRecords = (ops: Record<string, number>) => Object.entries(ops).filter(([k]) => k.includes(' GetRecords ')).reduce((n, [, v]) => n + v, 0);
    expect(getRecords(after)).to.equal(getRecords(before));
  });

  it('refuses a subscription of a consumer still CREATING, and a second one of the same consumer and shard within five seconds (here 600 ms)', async () => {
    // Prepare
    const consumerArn = await register(names.streams.results, 'eager');
    const shardId = await firstShard(names.streams.results);

    // Act
    const creating = await subscribe(fanOut, consumerArn, shardId);
    await until(() => kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn })), (d) => d.ConsumerDescription?.ConsumerStatus === 'ACTIVE');
    const first = subscribe(fanOut, consumerArn, shardId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const tooSoon = await subscribe(fanOut, consumerArn, shardId);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const takeover = subscribe(fanOut, consumerArn, shardId);
    const older = await first;

    // Assess
    expect(creating.error?.name).to.equal('ResourceInUseException');
    expect(tooSoon.error?.name).to.equal('ResourceInUseException');
    expect(older.error?.name, 'the older subscription ends when a later one takes over').to.equal('ResourceInUseException');
    expect((await takeover).error, 'the later one runs its lifetime and ends normally').to.equal(undefined);
  });

  it('ends a subscription after its lifetime, so the consumer must subscribe again, and says it is alive on an idle shard meanwhile', async () => {
    // Prepare
    const consumerArn = await activeConsumer(names.streams.rawHistory, 'renewing');
    const shardId = await firstShard(names.streams.rawHistory);

    // Act
    const started = Date.now();
    const { events, error } = await subscribe(fanOut, consumerArn, shardId);

    // Assess: 1.5 s here, five minutes on AWS; an event without records every 400 ms here (every few seconds on AWS)
    expect(error).to.equal(undefined);
    expect(Date.now() - started).to.be.at.least(1_400);
    expect(events.length).to.be.within(2, 4);
    expect(events.every((e) => (e.Records ?? []).length === 0 && e.ChildShards === undefined)).to.equal(true);
  });

  it('ends with the child shards when the shard is split and read to its end', async () => {
    // Prepare
    const consumerArn = await activeConsumer(names.streams.resultsHistory, 'resharded');
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: names.streams.resultsHistory }));
    const parent = Shards?.[0];
    await kinesis.send(new PutRecordsCommand({ StreamName: names.streams.resultsHistory, Records: [{ PartitionKey: 'a', Data: Buffer.from('before the split') }] }));
    await kinesis.send(new SplitShardCommand({ StreamName: names.streams.resultsHistory, ShardToSplit: parent?.ShardId, NewStartingHashKey: '170141183460469231731687303715884105728' }));
    await until(() => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: names.streams.resultsHistory })), (d) => d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE');

    // Act
    const { events, error } = await subscribe(fanOut, consumerArn, parent?.ShardId ?? '', (seen) => (seen.at(-1)?.ChildShards?.length ?? 0) > 0);

    // Assess
    expect(error).to.equal(undefined);
    expect(events.flatMap((e) => e.Records ?? []).map((r) => Buffer.from(r.Data ?? []).toString())).to.deep.equal(['before the split']);
    const last = events.at(-1);
    expect(last?.ContinuationSequenceNumber).to.equal(undefined);
    expect(last?.ChildShards?.map((c) => c.ParentShards)).to.deep.equal([[parent?.ShardId], [parent?.ShardId]]);
  });

  it("answers a role the contract does not let subscribe with AccessDeniedException on the consumer's ARN", async () => {
    // Prepare
    const consumerArn = await activeConsumer(names.streams.raw, 'guarded');
    const shardId = await firstShard(names.streams.raw);
    const scorer = createKinesisFanOutClient({ region: LOCAL_REGION, credentials: roleCredentials(stack, 'scorer'), maxAttempts: 1, env: { AWS_ENDPOINT_URL_KINESIS: fronts.endpoints.kinesis ?? '' } });

    // Act
    const { error } = await subscribe(scorer, consumerArn, shardId);
    scorer.destroy();

    // Assess
    expect(error?.name).to.equal('AccessDeniedException');
    expect(error?.message).to.include('kinesis:SubscribeToShard').and.include(consumerArn);
  });
});
