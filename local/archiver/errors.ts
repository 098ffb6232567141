import { InsightsError, optionErrorOf } from '../../shared/errors.js';

/** Base of every local archiver failure. */
export class ArchiverError extends InsightsError {
  public override readonly name: string = 'ArchiverError';
}

/** An option the archiver cannot run with; names the option. */
export class ArchiverOptionError extends optionErrorOf(ArchiverError, 'archiver') {
  public override readonly name = 'ArchiverOptionError';
}

/** An archive object could not be written; the records in it are retried, never dropped. */
export class ArchiveWriteError extends ArchiverError {
  public override readonly name = 'ArchiveWriteError';
  public constructor(
    public readonly objectKey: string,
    public readonly records: number,
    options?: { cause?: unknown },
  ) {
    super(`could not write archive object ${objectKey} (${records} records)`, options);
  }
}

/** `drain()` gave up before the archiver caught up with the stream. */
export class DrainTimeoutError extends ArchiverError {
  public override readonly name = 'DrainTimeoutError';
  public constructor(public readonly timeoutMs: number) {
    super(`the archiver did not catch up with the raw stream within ${timeoutMs} ms`);
  }
}
