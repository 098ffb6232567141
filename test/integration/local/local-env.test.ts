import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { BUCKETS, STREAMS, TABLES } from '../../../shared/catalog.js';
import type { BucketName, StreamName, TableName } from '../../../shared/catalog.js';
import { MissingProgramError, PortInUseError, isPortInUse, isProcessAlive, roundTrip, startLocalEnv } from '../../../local/env/index.js';
import type { LocalEnv } from '../../../local/env/index.js';
import { uniqueStack } from '../../helpers/local-env.js';

/** Pids of this test process's direct children (the environment's process groups lead here). */
function childPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Child pids once they equal `expected` (processes being stopped take a moment to be reaped), or the last seen at the deadline. */
async function childPidsSettledTo(expected: readonly number[], timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = childPids();
    if ((pids.length === expected.length && pids.every((pid, i) => pid === expected[i])) || Date.now() > deadline) return pids;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

async function assertAllGone(env: LocalEnv): Promise<void> {
  for (const proc of env.processes) {
    expect(isProcessAlive(proc.pid), `${proc.name} pid ${proc.pid} still alive`).to.equal(false);
    if (proc.port !== undefined) expect(await isPortInUse(proc.port), `${proc.name} port ${proc.port} still open`).to.equal(false);
  }
}

describe('Function: startLocalEnv', function () {
  this.timeout(120_000);

  describe('with the default emulators', () => {
    let env: LocalEnv | undefined;
    after(async () => env?.stop());

    it('provisions every catalog resource, round-trips each service, and leaves nothing behind', async () => {
      // Prepare
      const stack = uniqueStack();

      // Act
      env = await startLocalEnv({ stack });
      const clients = env.clients();
      const steps = await roundTrip(env);

      // Assess
      expect(env.engines).to.deep.equal({ kinesis: 'kinesalite', dynamodb: 'dynamodb-local' });
      expect(env.processes.map((p) => p.name).sort()).to.deep.equal(['dynamodb-local', 'fronts', 'kinesalite', 'redis', 's3rver']);
      for (const logical of Object.keys(STREAMS) as StreamName[]) {
        const summary = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: env.names.streams[logical] }));
        expect(summary.StreamDescriptionSummary?.StreamStatus).to.equal('ACTIVE');
        expect(summary.StreamDescriptionSummary?.OpenShardCount).to.equal(2);
      }
      for (const logical of Object.keys(TABLES) as TableName[]) {
        const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: env.names.tables[logical] }));
        expect(table.Table?.KeySchema?.[0]?.AttributeName).to.equal(TABLES[logical].partitionKey.name);
        if ('ttlAttribute' in TABLES[logical]) {
          const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: env.names.tables[logical] }));
          expect(ttl.TimeToLiveDescription?.AttributeName).to.equal(TABLES[logical].ttlAttribute);
        }
      }
      for (const logical of Object.keys(BUCKETS) as BucketName[]) {
        await clients.s3.send(new HeadBucketCommand({ Bucket: env.names.buckets[logical] }));
      }
      clients.destroy();
      expect(steps.filter((s) => !s.ok), JSON.stringify(steps)).to.deep.equal([]);
      expect(steps.map((s) => s.service).sort()).to.deep.equal(['dynamodb', 'kinesis', 'redis', 's3']);

      await env.stop();
      await env.stop(); // a second stop is harmless
      await assertAllGone(env);
    });
  });

  describe('with the alternative emulators', () => {
    it('runs on kinesis-mock and dynalite', async () => {
      // Prepare
      const env = await startLocalEnv({ kinesis: 'kinesis-mock', dynamodb: 'dynalite', stack: uniqueStack() });
      try {
        // Act
        const steps = await roundTrip(env);

        // Assess
        expect(steps.filter((s) => !s.ok), JSON.stringify(steps)).to.deep.equal([]);
      } finally {
        await env.stop();
      }
      await assertAllGone(env);
    });
  });

  describe('when start-up fails', () => {
    it('names a port that is already taken and starts nothing', async () => {
      // Prepare
      const { server, port } = await occupyPort();
      const before = childPids();
      try {
        // Act
        const error = await startLocalEnv({ ports: { kinesis: port } }).then(
          () => undefined,
          (e: unknown) => e,
        );

        // Assess
        expect(error).to.be.instanceOf(PortInUseError);
        expect((error as Error).message).to.contain(`127.0.0.1:${port}`).and.contain('kinesis');
        expect(childPids()).to.deep.equal(before);
      } finally {
        server.close();
      }
    });

    it('stops what it already started when a later port is taken', async () => {
      // Prepare: the emulators start before Redis's port is checked.
      const { server, port } = await occupyPort();
      const before = childPids();
      try {
        // Act
        const error = await startLocalEnv({ ports: { redis: port } }).then(
          () => undefined,
          (e: unknown) => e,
        );

        // Assess
        expect(error).to.be.instanceOf(PortInUseError);
        expect((error as Error).message).to.contain('redis');
        expect(await childPidsSettledTo(before)).to.deep.equal(before);
      } finally {
        server.close();
      }
    });

    it('says how to install redis-server when it is not on PATH', async () => {
      // Prepare
      const path = process.env['PATH'];
      process.env['PATH'] = '/nonexistent';
      const before = childPids();
      try {
        // Act
        const error = await startLocalEnv().then(
          () => undefined,
          (e: unknown) => e,
        );

        // Assess
        expect(error).to.be.instanceOf(MissingProgramError);
        expect((error as Error).message).to.contain('apt-get install redis-server').and.contain('REDIS_URL');
        expect(childPids()).to.deep.equal(before);
      } finally {
        process.env['PATH'] = path;
      }
    });
  });
});
