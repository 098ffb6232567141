import { InsightsError } from '../shared/errors.js';

/** Base of every error the models package throws; catch this to catch them all. */
export class ModelsError extends InsightsError {
  public override readonly name: string = 'ModelsError';
}

/** The manifest is missing, not JSON, or not the shape this code reads. */
export class ManifestError extends ModelsError {
  public override readonly name = 'ManifestError';
  public constructor(
    public readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`model manifest ${path}: ${problem}`, options);
  }
}

/** A file the manifest lists is not there. */
export class ModelFileMissingError extends ModelsError {
  public override readonly name = 'ModelFileMissingError';
  public constructor(
    public readonly model: string,
    public readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${model}: file ${path} is missing; run \`npm run models:build\` or restore it from git`, options);
  }
}

/** A file's bytes are not the ones the manifest pins (edited, truncated, or from another build). */
export class ModelChecksumError extends ModelsError {
  public override readonly name = 'ModelChecksumError';
  public constructor(
    public readonly model: string,
    public readonly path: string,
    public readonly expected: string,
    public readonly actual: string,
  ) {
    super(`${model}: ${path} has sha256 ${actual} but the manifest expects ${expected}; the file was changed after the build`);
  }
}

/**
 * The features this code computes are not the ones the model was trained on: the featurisation
 * changed without a rebuild, or the manifest and the model disagree.
 */
export class FeatureSchemaMismatchError extends ModelsError {
  public override readonly name = 'FeatureSchemaMismatchError';
  public constructor(
    public readonly model: string,
    /** Which two sources disagree, e.g. `manifest vs code`. */
    public readonly between: string,
    public readonly expected: string,
    public readonly actual: string,
  ) {
    super(`${model}: feature schema hash mismatch (${between}): expected ${expected}, got ${actual}; rebuild with \`npm run models:build\``);
  }
}

/** A file is present and matches its checksum but cannot be read as what it claims to be. */
export class ModelCorruptError extends ModelsError {
  public override readonly name = 'ModelCorruptError';
  public constructor(
    public readonly model: string,
    public readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${model}: ${path} is unusable: ${problem}`, options);
  }
}

/** Inference failed for a batch; `cause` holds onnxruntime's error. */
export class ScoringError extends ModelsError {
  public override readonly name = 'ScoringError';
  public constructor(
    public readonly model: string,
    public readonly batchSize: number,
    options?: { cause?: unknown },
  ) {
    super(`${model}: inference failed for a batch of ${batchSize}`, options);
  }
}
