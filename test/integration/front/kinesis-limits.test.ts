import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import { startFronts } from '../../../local/env/front/fronts.js';
import type { Fronts } from '../../../local/env/front/fronts.js';
import { LOCAL_REGION, operatorCredentials } from '../../../local/env/front/identities.js';
import { KINESIS_SHARD_LIMITS, rateExceededMessage } from '../../../local/env/front/limits/kinesis-limits.js';
import { hashKeyOf, openShardRanges, shardOf } from '../../../local/env/front/limits/shard-map.js';
import { provisionCatalog } from '../../../local/env/provision.js';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { AwsClients } from '../../../shared/aws/clients.js';
import type { StackResourceNames } from '../../../shared/catalog.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';

/** A PutRecords call's most records (API limit). */
const MAX_RECORDS_PER_PUT = 500;

describe('Local front: Kinesis shard limits', function () {
  this.timeout(60_000);
  let fronts: Fronts;
  let clients: AwsClients & { destroy(): void };
  let names: StackResourceNames;

  before(async () => {
    const env = await getLocalEnv();
    const operator = env.clients();
    try {
      names = await provisionCatalog(operator, { stack: uniqueStack(), shards: { raw: 2, results: 1 } });
    } finally {
      operator.destroy();
    }
    // A front of this test's own (limits on, the default), so no other test spends these shards.
    const upstreams = env.front?.upstreams ?? env.endpoints;
    fronts = await startFronts({ services: [{ service: 'kinesis', upstream: upstreams.kinesis }] });
    // One attempt: the SDK's retries would hide the refusals this test looks for.
    clients = createAwsClients({ region: LOCAL_REGION, credentials: operatorCredentials(), maxAttempts: 1, env: { AWS_ENDPOINT_URL_KINESIS: fronts.endpoints.kinesis ?? '' } });
  });

  after(async () => {
    clients?.destroy();
    await fronts?.close();
  });

  it('refuses the records over a shard\'s 1,000 records/s entry by entry, on the shard the emulator routes them to', async () => {
    // Prepare
    const listed = await clients.kinesis.send(new ListShardsCommand({ StreamName: names.streams.raw }));
    const ranges = openShardRanges(listed.Shards ?? []);
    const hot = ['a', 'b', 'c', 'd', 'e', 'f'].find((k) => shardOf(ranges, hashKeyOf(k)) === ranges[0]?.shardId) as string;
    const cold = ['a', 'b', 'c', 'd', 'e', 'f'].find((k) => shardOf(ranges, hashKeyOf(k)) === ranges[1]?.shardId) as string;
    const calls = Math.ceil((KINESIS_SHARD_LIMITS.writeRecords * 2) / MAX_RECORDS_PER_PUT);
    const put = (i: number) => {
      const records = Array.from({ length: MAX_RECORDS_PER_PUT - 1 }, (_, n) => ({ PartitionKey: hot, Data: Buffer.from(`r${i}-${n}`) }));
      return clients.kinesis.send(new PutRecordsCommand({ StreamName: names.streams.raw, Records: [...records, { PartitionKey: cold, Data: Buffer.from('c') }] }));
    };

    // Act: the calls at once, as a producer with several in flight sends them
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: calls }, (_, i) => put(i)));
    const elapsedMs = Date.now() - started;

    // Assess
    const entries = answers.flatMap((a) => a.Records ?? []);
    const hotEntries = entries.filter((_, i) => i % MAX_RECORDS_PER_PUT !== MAX_RECORDS_PER_PUT - 1);
    const refused = hotEntries.filter((e) => e.ErrorCode !== undefined);
    const accepted = hotEntries.filter((e) => e.ErrorCode === undefined);
    expect(refused.length).to.be.greaterThan(0);
    expect(answers.reduce((n, a) => n + (a.FailedRecordCount ?? 0), 0)).to.equal(refused.length);
    expect(accepted.length).to.be.at.most(KINESIS_SHARD_LIMITS.writeRecords + Math.ceil((elapsedMs / 1000) * KINESIS_SHARD_LIMITS.writeRecords));
    expect(new Set(accepted.map((e) => e.ShardId))).to.deep.equal(new Set([ranges[0]?.shardId]));
    expect(refused[0]).to.deep.include({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: rateExceededMessage(names.streams.raw, ranges[0]?.shardId ?? '') });
    const coldEntries = entries.filter((_, i) => i % MAX_RECORDS_PER_PUT === MAX_RECORDS_PER_PUT - 1);
    expect(coldEntries.every((e) => e.ErrorCode === undefined && e.ShardId === ranges[1]?.shardId), 'the other shard has its own allowance').to.equal(true);
  });

  it('answers the GetRecords calls over five a second on a shard with 400 ProvisionedThroughputExceededException, as AWS words it', async () => {
    // Prepare
    const listed = await clients.kinesis.send(new ListShardsCommand({ StreamName: names.streams.results }));
    const shardId = listed.Shards?.[0]?.ShardId ?? '';
    const { ShardIterator } = await clients.kinesis.send(new GetShardIteratorCommand({ StreamName: names.streams.results, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const attempts = KINESIS_SHARD_LIMITS.readCalls * 2;

    // Act
    const started = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: attempts }, () =>
        clients.kinesis.send(new GetRecordsCommand({ ShardIterator })).then(
          () => undefined,
          (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } },
        ),
      ),
    );
    const elapsedMs = Date.now() - started;

    // Assess
    const refused = outcomes.filter((o) => o !== undefined);
    expect(attempts - refused.length).to.be.at.most(KINESIS_SHARD_LIMITS.readCalls + Math.ceil((elapsedMs / 1000) * KINESIS_SHARD_LIMITS.readCalls));
    expect(refused.length).to.be.greaterThan(0);
    expect([refused[0]?.name, refused[0]?.$metadata?.httpStatusCode, refused[0]?.message]).to.deep.equal([
      'ProvisionedThroughputExceededException',
      400,
      rateExceededMessage(names.streams.results, shardId),
    ]);
    const stats = fronts.stats().fronts[0]?.middlewares['kinesisLimits'] as { throttledReads: number };
    expect(stats.throttledReads).to.equal(refused.length);
  });
});
