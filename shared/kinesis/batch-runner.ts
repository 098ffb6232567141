import type { KinesisRecord } from './types.js';
import { sleep } from '../backoff.js';
import { causedByAccessDenied } from '../aws/access-denied.js';

/**
 * Runs one batch to completion, as Lambda's Kinesis event source does with bisect-on-error: retry
 * the whole batch with back-off; if it still fails, split it in two and run each half in order,
 * recursively, until the failing record is alone; a record that fails alone after its retries is
 * poison and is handed to `onPoison`, and the rest of the batch carries on. Halves get one attempt
 * each (a good half passes at once), so isolating one bad record among n costs about log2(n)
 * extra calls plus the retries of the whole batch and of the record alone.
 */
export interface BatchRunnerDeps {
  /** Hands records over; `attempt` counts hand-overs of this batch or any part of it, from 1. */
  readonly process: (records: readonly KinesisRecord[], attempt: number) => Promise<void>;
  readonly onPoison: (record: KinesisRecord, error: unknown, attempts: number) => Promise<void>;
  /** Retries after the first attempt, for the whole batch and for a record alone. */
  readonly maxRetries: number;
  /** Delay before retry `n` (1-based), in ms. */
  readonly backoff: (retry: number) => number;
  /** Aborting ends the run as 'aborted' at the next step (the batch is then not done). */
  readonly signal: AbortSignal;
  readonly onFailure?: (error: unknown, size: number, attempt: number) => void;
  readonly onPoisonHandlerFailure?: (error: unknown, attempt: number) => void;
}

export type BatchOutcome = 'done' | 'aborted';

type Attempted = { ok: true } | { ok: false; error: unknown; attempts: number } | { aborted: true };

export async function runBatch(records: readonly KinesisRecord[], deps: BatchRunnerDeps): Promise<BatchOutcome> {
  let handovers = 0;

  const attempt = async (part: readonly KinesisRecord[], tries: number): Promise<Attempted> => {
    let lastError: unknown;
    for (let i = 1; i <= tries; i++) {
      if (deps.signal.aborted) return { aborted: true };
      handovers += 1;
      try {
        await deps.process(part, handovers);
        return { ok: true };
      } catch (error) {
        lastError = error;
        deps.onFailure?.(error, part.length, handovers);
      }
      if (i < tries) await sleep(deps.backoff(i), deps.signal);
    }
    return deps.signal.aborted ? { aborted: true } : { ok: false, error: lastError, attempts: tries };
  };

  const poison = async (record: KinesisRecord, error: unknown, attempts: number): Promise<BatchOutcome> => {
    // The checkpoint may pass this record only once it is set aside, so keep trying.
    for (let i = 1; ; i++) {
      if (deps.signal.aborted) return 'aborted';
      try {
        await deps.onPoison(record, error, attempts);
        return 'done';
      } catch (handlerError) {
        deps.onPoisonHandlerFailure?.(handlerError, i);
        await sleep(deps.backoff(i), deps.signal);
      }
    }
  };

  const settle = async (part: readonly KinesisRecord[], tries: number): Promise<BatchOutcome> => {
    let result = await attempt(part, tries);
    // Refused by IAM: no record is to blame, and setting one aside as poison would lose it. The
    // batch waits, whole, until the role may make the call (a worker process stops on the denial).
    for (let round = 1; !('aborted' in result) && !result.ok && causedByAccessDenied(result.error); round += 1) {
      await sleep(deps.backoff(round), deps.signal);
      result = await attempt(part, tries);
    }
    if ('aborted' in result) return 'aborted';
    if (result.ok) return 'done';
    const [only] = part;
    if (part.length === 1 && only !== undefined) return poison(only, result.error, result.attempts);
    const middle = Math.ceil(part.length / 2);
    for (const half of [part.slice(0, middle), part.slice(middle)]) {
      const outcome = await settle(half, half.length === 1 ? 1 + deps.maxRetries : 1);
      if (outcome === 'aborted') return 'aborted';
    }
    return 'done';
  };

  return settle(records, 1 + deps.maxRetries);
}
