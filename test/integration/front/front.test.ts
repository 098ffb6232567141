import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFronts } from '../../../local/env/front/fronts.js';
import type { Fronts } from '../../../local/env/front/fronts.js';
import { iamMiddleware } from '../../../local/env/front/iam/iam-middleware.js';
import { jsonError } from '../../../local/env/front/aws-errors.js';
import type { FrontMiddleware, MiddlewareFactory } from '../../../local/env/front/types.js';
import { LOCAL_REGION, roleCredentials } from '../../../local/env/front/identities.js';
import { provisionCatalog } from '../../../local/env/provision.js';
import type { LocalEnv } from '../../../local/env/index.js';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { AwsClients } from '../../../shared/aws/clients.js';
import type { StackResourceNames } from '../../../shared/catalog.js';
import type { ContractRoleName } from '../../../shared/iam/grants.js';
import { getLocalEnv, uniqueStack } from '../../helpers/local-env.js';

/** Clients of one key pair pointed at fronts started by this test (not the shared environment's). */
function clientsAt(fronts: Fronts, credentials: { accessKeyId: string; secretAccessKey: string }): AwsClients & { destroy(): void } {
  return createAwsClients({
    region: LOCAL_REGION,
    credentials,
    maxAttempts: 1,
    env: { AWS_ENDPOINT_URL_KINESIS: fronts.endpoints.kinesis ?? '', AWS_ENDPOINT_URL_DYNAMODB: fronts.endpoints.dynamodb ?? '', AWS_ENDPOINT_URL_S3: fronts.endpoints.s3 ?? '' },
  });
}

async function failure(call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('the call succeeded');
}

describe('Local front: IAM in front of the emulators', function () {
  this.timeout(60_000);
  let env: LocalEnv;
  let fronts: Fronts;
  let names: StackResourceNames;
  let stack: string;
  let recordDir: string;
  const opened: (AwsClients & { destroy(): void })[] = [];
  const as = (role: ContractRoleName) => {
    const clients = clientsAt(fronts, roleCredentials(stack, role));
    opened.push(clients);
    return clients;
  };

  before(async () => {
    env = await getLocalEnv();
    stack = uniqueStack();
    const operator = env.clients();
    try {
      names = await provisionCatalog(operator, { stack, shards: { raw: 1, results: 1 } });
    } finally {
      operator.destroy();
    }
    recordDir = mkdtempSync(join(tmpdir(), 'front-test-'));
    // Fronts of this test's own before the shared emulators: the denials below are this test's alone.
    const upstreams = env.front?.upstreams ?? env.endpoints;
    fronts = await startFronts({
      services: [
        { service: 'kinesis', upstream: upstreams.kinesis },
        { service: 'dynamodb', upstream: upstreams.dynamodb },
        { service: 's3', upstream: upstreams.s3 },
      ],
      recordDir,
    });
  });

  after(async () => {
    for (const clients of opened) clients.destroy();
    await fronts?.close();
    rmSync(recordDir, { recursive: true, force: true });
  });

  it('lets a role make the calls its grants allow, on its own stack', async () => {
    // Prepare
    const crawler = as('crawler');
    const reader = as('stream-reader');

    // Act
    const put = await crawler.kinesis.send(new PutRecordsCommand({ StreamName: names.streams.raw, Records: [{ Data: Buffer.from('x'), PartitionKey: 'u1' }] }));
    // The history lane is the one the stream-reader polls (the live one it reads by enhanced fan-out).
    await crawler.kinesis.send(new PutRecordsCommand({ StreamName: names.streams.rawHistory, Records: [{ Data: Buffer.from('x'), PartitionKey: 'u1' }] }));
    const shards = await reader.kinesis.send(new ListShardsCommand({ StreamName: names.streams.rawHistory }));
    const iterator = await reader.kinesis.send(new GetShardIteratorCommand({ StreamName: names.streams.rawHistory, ShardId: shards.Shards?.[0]?.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const read = await reader.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
    await reader.dynamodb.send(new DeleteItemCommand({ TableName: names.tables.leases, Key: { application: { S: 'a' }, leaseKey: { S: 'gone' } } }));

    // Assess
    expect(put.FailedRecordCount).to.equal(0);
    expect(read.Records?.map((r) => Buffer.from(r.Data ?? []).toString())).to.deep.equal(['x']);
    const operations = Object.assign({}, ...fronts.stats().fronts.map((f) => f.operations)) as Record<string, number>;
    expect(operations).to.include({
      [`crawler PutRecords ${names.streams.raw}`]: 1,
      [`stream-reader GetRecords ${names.streams.rawHistory}`]: 1,
      [`stream-reader DeleteItem ${names.tables.leases}`]: 1,
    });
  });

  it('denies DynamoDB and Kinesis calls as AWS does: HTTP 400 AccessDeniedException naming the role, the action and the resource', async () => {
    // Prepare
    const crawler = as('crawler');
    const otherStack = uniqueStack();
    const table = `arn:aws:dynamodb:us-east-1:000000000000:table/${names.tables.leases}`;

    // Act
    const dynamo = await failure(crawler.dynamodb.send(new DeleteItemCommand({ TableName: names.tables.leases, Key: { application: { S: 'a' }, leaseKey: { S: 'b' } } })));
    const kinesis = await failure(crawler.kinesis.send(new ListShardsCommand({ StreamName: names.streams.raw })));
    const other = clientsAt(fronts, roleCredentials(otherStack, 'crawler'));
    opened.push(other);
    const foreign = await failure(other.kinesis.send(new PutRecordsCommand({ StreamName: names.streams.raw, Records: [{ Data: Buffer.from('x'), PartitionKey: 'u' }] })));

    // Assess
    expect([dynamo.name, dynamo.$metadata?.httpStatusCode]).to.deep.equal(['AccessDeniedException', 400]);
    expect(dynamo.message).to.equal(
      `User: arn:aws:sts::000000000000:assumed-role/realtime-insights-${stack}-crawler/crawler is not authorized to perform: dynamodb:DeleteItem on resource: ${table} because no identity-based policy allows the dynamodb:DeleteItem action`,
    );
    expect([kinesis.name, kinesis.$metadata?.httpStatusCode]).to.deep.equal(['AccessDeniedException', 400]);
    expect(kinesis.message).to.include('kinesis:ListShards on resource: arn:aws:kinesis:us-east-1:000000000000:stream/');
    expect(foreign.name, 'a role of another stack may not touch this stack').to.equal('AccessDeniedException');
  });

  it('denies S3 calls with a 403 AccessDenied, and listings outside the granted prefix', async () => {
    // Prepare
    const batch = as('batch');

    // Act
    const write = await failure(batch.s3.send(new PutObjectCommand({ Bucket: names.buckets.rawArchive, Key: 'raw/x.gz', Body: 'x' })));
    const listAll = await failure(batch.s3.send(new ListObjectsV2Command({ Bucket: names.buckets.rawArchive })));
    const listRaw = await batch.s3.send(new ListObjectsV2Command({ Bucket: names.buckets.rawArchive, Prefix: 'raw/' }));
    await batch.s3.send(new PutObjectCommand({ Bucket: names.buckets.analytics, Key: 'enriched/month=2026-01/a.parquet', Body: 'p' }));
    const back = await batch.s3.send(new GetObjectCommand({ Bucket: names.buckets.analytics, Key: 'enriched/month=2026-01/a.parquet' }));

    // Assess
    expect([write.name, write.$metadata?.httpStatusCode]).to.deep.equal(['AccessDenied', 403]);
    expect(write.message).to.equal(
      `User: arn:aws:sts::000000000000:assumed-role/realtime-insights-${stack}-batch/batch is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${names.buckets.rawArchive}/raw/x.gz" because no identity-based policy allows the s3:PutObject action`,
    );
    expect(listAll.name).to.equal('AccessDenied');
    expect(listRaw.$metadata.httpStatusCode).to.equal(200);
    expect(await back.Body?.transformToString()).to.equal('p');
  });

  it('refuses unknown and missing credentials as AWS does', async () => {
    // Prepare
    const stranger = clientsAt(fronts, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    opened.push(stranger);

    // Act
    const dynamo = await failure(stranger.dynamodb.send(new PutItemCommand({ TableName: names.tables.rejects, Item: { rejectId: { S: 'x' } } })));
    const s3 = await failure(stranger.s3.send(new GetObjectCommand({ Bucket: names.buckets.rawArchive, Key: 'raw/x' })));
    const unsigned = await fetch(fronts.endpoints.kinesis ?? '', {
      method: 'POST',
      headers: { 'x-amz-target': 'Kinesis_20131202.ListStreams', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });

    // Assess
    expect([dynamo.name, dynamo.message]).to.deep.equal(['UnrecognizedClientException', 'The security token included in the request is invalid.']);
    expect([s3.name, s3.$metadata?.httpStatusCode]).to.deep.equal(['InvalidAccessKeyId', 403]);
    expect([unsigned.status, ((await unsigned.json()) as { __type: string }).__type]).to.deep.equal([400, 'MissingAuthenticationTokenException']);
  });

  it('counts and records every denial with role, action and resource, and the grants each role exercised', async () => {
    // Act
    const stats = fronts.stats();
    await fronts.close();
    const files = readdirSync(recordDir);
    const denials = files.filter((f) => f.startsWith('iam-denials-')).flatMap((f) => readFileSync(join(recordDir, f), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { role?: string; action: string }));
    const usage = files.filter((f) => f.startsWith('iam-usage-')).flatMap((f) => (JSON.parse(readFileSync(join(recordDir, f), 'utf8')) as { usage: { role: string; sid: string; action: string; resource: string }[] }).usage);

    // Assess
    const denied = stats.fronts.reduce((sum, f) => sum + Number(f.middlewares['iam']?.['denied'] ?? 0), 0);
    expect(denied).to.equal(denials.length).and.to.be.at.least(7);
    expect(denials).to.deep.include({ ...denials.find((d) => d.action === 'dynamodb:DeleteItem'), role: 'crawler', action: 'dynamodb:DeleteItem' });
    expect(usage).to.deep.include({ ...usage.find((u) => u.role === 'stream-reader' && u.action === 'dynamodb:DeleteItem'), sid: 'ShardLeases', resource: 'table:leases' });
    expect(usage.some((u) => u.role === 'crawler' && u.action === 'kinesis:PutRecords' && u.resource === 'stream:raw')).to.equal(true);
  });
});

describe('Local front: the middleware chain', function () {
  this.timeout(60_000);

  it('runs IAM first, then each guard in order; a guard may answer itself, and a denied call reaches no guard', async () => {
    // Prepare
    const env = await getLocalEnv();
    const stack = uniqueStack();
    const seen: string[] = [];
    const watcher: MiddlewareFactory = (): FrontMiddleware => ({
      name: 'watcher',
      wrap: (next) => async (call) => {
        seen.push(call.operation);
        return next(call);
      },
      stats: () => ({ seen: seen.length }),
    });
    // A guard that throttles every PutRecords without forwarding it, as a shard-limit guard would.
    const throttle: MiddlewareFactory = (context) =>
      context.service !== 'kinesis'
        ? undefined
        : {
            name: 'throttle',
            wrap: (next) => async (call) => (call.operation === 'PutRecords' ? jsonError('kinesis', 400, 'ProvisionedThroughputExceededException', 'Rate exceeded for shard') : next(call)),
          };
    const upstream = (env.front?.upstreams ?? env.endpoints).kinesis;
    const fronts = await startFronts({ services: [{ service: 'kinesis', upstream }], middlewares: [iamMiddleware, watcher, throttle] });
    const clients = clientsAt(fronts, roleCredentials(stack, 'crawler'));
    try {
      // Act
      const denied = await failure(clients.kinesis.send(new ListShardsCommand({ StreamName: 'any' })));
      const throttled = await failure(clients.kinesis.send(new PutRecordsCommand({ StreamName: `realtime-insights-${stack}-raw`, Records: [{ Data: Buffer.from('x'), PartitionKey: 'u' }] })));

      // Assess
      expect(denied.name).to.equal('AccessDeniedException');
      expect(throttled.name).to.equal('ProvisionedThroughputExceededException');
      expect(seen).to.deep.equal(['PutRecords']);
      expect(fronts.stats().fronts[0]?.middlewares).to.deep.include({ watcher: { seen: 1 } });
    } finally {
      clients.destroy();
      await fronts.close();
    }
  });
});
