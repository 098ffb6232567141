import { createAwsClients } from '../../shared/aws/clients.js';
import { ConfigError } from '../../shared/errors.js';
import type { ConfigIssue } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { deliveryStreamName } from '../../shared/archive/archive-key.js';
import { LocalArchiver } from './local-archiver.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/**
 * The local archiver as its own process (`node --import=tsx local/archiver/main.ts`), for a local
 * run whose workers are processes too. It reads the variables the workers use (INSIGHTS_STACK,
 * RAW_STREAM_NAME, LEASE_TABLE_NAME, RAW_ARCHIVE_BUCKET, the AWS_* endpoints) plus its buffering
 * hints ARCHIVER_BUFFER_BYTES and ARCHIVER_BUFFER_MS. SIGTERM or SIGINT flushes, checkpoints and
 * exits 0.
 */
function readEnv(env: NodeJS.ProcessEnv): { stack: string; stream: string; leases: string; bucket: string; bytes?: number; intervalMs?: number; failoverMs?: number } {
  const issues: ConfigIssue[] = [];
  const need = (key: string): string => {
    const value = env[key];
    if (value === undefined || value === '') issues.push({ key, problem: 'is required by the local archiver' });
    return value ?? '';
  };
  const int = (key: string): number | undefined => {
    const raw = env[key];
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw)) issues.push({ key, problem: `must be a whole number, got '${raw}'` });
    return Number(raw);
  };
  const out = {
    stack: need('INSIGHTS_STACK'),
    stream: need('RAW_STREAM_NAME'),
    leases: need('LEASE_TABLE_NAME'),
    bucket: need('RAW_ARCHIVE_BUCKET'),
  };
  const bytes = int('ARCHIVER_BUFFER_BYTES');
  const intervalMs = int('ARCHIVER_BUFFER_MS');
  const failoverMs = int('LEASE_FAILOVER_MS');
  if (issues.length > 0) throw new ConfigError('local archiver environment is invalid', issues);
  return { ...out, ...(bytes === undefined ? {} : { bytes }), ...(intervalMs === undefined ? {} : { intervalMs }), ...(failoverMs === undefined ? {} : { failoverMs }) };
}

let config: ReturnType<typeof readEnv>;
try {
  config = readEnv(process.env);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const logger = createLogger({ name: 'archiver', base: { role: 'archiver', stack: config.stack } });
const aws = createAwsClients({ env: process.env });
const archiver = new LocalArchiver({
  kinesis: aws.kinesis,
  dynamodb: aws.dynamodb,
  s3: aws.s3,
  streamName: config.stream,
  leaseTableName: config.leases,
  bucket: config.bucket,
  deliveryStreamName: deliveryStreamName(config.stack),
  logger,
  ...(config.bytes === undefined ? {} : { bufferSizeBytes: config.bytes }),
  ...(config.intervalMs === undefined ? {} : { bufferIntervalMs: config.intervalMs }),
  ...(config.failoverMs === undefined ? {} : { consumer: { failoverTimeMs: config.failoverMs } }),
});
const stop = (signal: string): void => {
  logger.info({ signal }, 'archiver stopping');
  void archiver.close().then(
    () => {
      aws.destroy();
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'archiver failed to close');
      process.exit(1);
    },
  );
};
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
try {
  await archiver.start();
  logger.info({ stream: config.stream, bucket: config.bucket }, 'archiver running');
} catch (error) {
  logger.fatal({ err: error }, 'archiver failed to start');
  process.exit(1);
}
