import { Command } from 'commander';
import { UsageError, positiveNumber } from '../../shared/command-line/index.js';
import { createAwsClients } from '../../shared/aws/clients.js';
import { parseWorkerEnv } from '../../shared/worker-env.js';
import { parseWindow, Replayer } from '../../workers/replay/index.js';
import type { ReplaySummary } from '../../workers/replay/index.js';
import { Progress, output } from '../progress.js';
import { analyticsEnv } from './batch.js';

const number = (n: number): string => n.toLocaleString('en-US');

function printSummary(summary: ReplaySummary): void {
  console.log(`window    ${summary.from} to ${summary.to}`);
  console.log(`objects   ${number(summary.objects)}`);
  console.log(`records   ${number(summary.records)}`);
  console.log(`put       ${number(summary.put)}${summary.skipped > 0 ? ` (${number(summary.skipped)} skipped)` : ''}`);
  console.log(`pace      ${number(summary.ratePerSecond)} records/s; took ${summary.seconds} s`);
}

interface ReplayFlags {
  from?: string;
  to?: string;
  rate?: number;
  json?: boolean;
}

function windowOf(flags: ReplayFlags): ReturnType<typeof parseWindow> {
  try {
    return parseWindow(flags.from, flags.to);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

async function runReplay(flags: ReplayFlags): Promise<void> {
  const json = flags.json === true;
  const window = windowOf(flags);
  const rate = flags.rate;
  const progress = new Progress(!json);
  const processEnv = analyticsEnv(process.env, 'replay');
  const env = parseWorkerEnv('replay', processEnv);
  const aws = createAwsClients({ env: processEnv });
  try {
    const replayer = new Replayer({ s3: aws.s3, kinesis: aws.kinesis, rawArchiveBucket: env.RAW_ARCHIVE_BUCKET, streamName: env.RAW_HISTORY_STREAM_NAME });
    progress.step(`replaying s3://${env.RAW_ARCHIVE_BUCKET} ${window.from.toISOString()} to ${window.to.toISOString()} onto ${env.RAW_HISTORY_STREAM_NAME} (the history lane: live records never wait behind a replay)`);
    const summary = await replayer.run({
      ...window,
      ...(rate === undefined ? {} : { rate }),
      onProgress: (p) => progress.status(`objects ${number(p.objectsDone)}/${number(p.objectsTotal)}  put ${number(p.put)}  skipped ${number(p.skipped)}`),
    });
    progress.done();
    output(json, summary, () => printSummary(summary));
  } finally {
    aws.destroy();
  }
}

/** `insights replay --from ISO --to ISO [--rate N] [--json]`: the archive back onto the history lane's raw stream. */
export function replayCommand(): Command {
  return new Command('replay')
    .description("put the raw archive's records of a time window back on the history lane's raw stream (live records never wait behind it), paced to its write capacity; every sink is idempotent")
    .requiredOption('--from <iso>', 'start of the window (inclusive), ISO 8601 with a zone, e.g. 2026-11-25T00:00:00Z')
    .requiredOption('--to <iso>', 'end of the window (exclusive)')
    .option('--rate <n>', 'records per second (default: 1,000 per shard of the stream)', positiveNumber)
    .option('--json', 'print the summary as JSON')
    .action(runReplay);
}
