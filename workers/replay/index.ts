import { runOnce } from '../runtime/worker-runtime.js';
import type { StartRole } from '../runtime/worker-runtime.js';
import { ReplayOptionError } from './errors.js';
import { parseWindow } from './replay-window.js';
import { Replayer } from './replayer.js';

export { Replayer, SHARD_BYTES_PER_SECOND, SHARD_RECORDS_PER_SECOND } from './replayer.js';
export type { ReplayerOptions, ReplayProgress, ReplayRunOptions, ReplaySummary } from './replayer.js';
export { parseWindow, inWindow, windowPrefixes } from './replay-window.js';
export type { ReplayWindow } from './replay-window.js';
export { Pacer } from './pacer.js';
export * from './errors.js';

/** `--from X --to Y --rate N` (or `--from=X`) from the arguments after the role. */
export function parseReplayArguments(argv: readonly string[]): { from?: string; to?: string; rate?: number } {
  const out: { from?: string; to?: string; rate?: number } = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag !== '--from' && flag !== '--to' && flag !== '--rate') continue;
    const value = inline ?? argv[(i += 1)];
    if (value === undefined) throw new ReplayOptionError(flag, 'needs a value');
    if (flag === '--rate') {
      const rate = Number(value);
      if (!Number.isFinite(rate) || rate <= 0) throw new ReplayOptionError('--rate', `must be a positive number, got '${value}'`);
      out.rate = rate;
    } else out[flag === '--from' ? 'from' : 'to'] = value;
  }
  return out;
}

/**
 * The replay role, a run-once task: `workers/main.ts replay --from ISO --to ISO [--rate N]` (the
 * window comes as arguments, which a task's command override passes; the environment contract
 * has the archive and the stream). Thin wiring; the logic is in `Replayer`. SIGTERM stops between
 * records.
 */
export const start: StartRole<'replay'> = async ({ env, logger, aws, health }) => {
  const args = parseReplayArguments(process.argv.slice(3));
  const window = parseWindow(args.from, args.to);
  const replayer = new Replayer({ s3: aws.s3, kinesis: aws.kinesis, rawArchiveBucket: env.RAW_ARCHIVE_BUCKET, streamName: env.RAW_HISTORY_STREAM_NAME, logger });
  const stop = new AbortController();
  let progress: unknown = 'starting';
  health.addCheck('replay', () => progress);
  const finished = replayer
    .run({
      ...window,
      ...(args.rate === undefined ? {} : { rate: args.rate }),
      signal: stop.signal,
      onProgress: (p) => {
        progress = p;
      },
    })
    .then(() => undefined);
  return Promise.resolve(runOnce(finished, stop));
};
