import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from 'onnxruntime-node';
import { CATEGORIES } from '../../shared/schemas/categories.js';
import { FeatureSchemaMismatchError, ManifestError, ModelChecksumError, ModelCorruptError, ModelFileMissingError } from '../errors.js';
import type { AnomalyStats } from '../features/anomaly.js';
import { Featuriser } from '../features/featuriser.js';
import { sha256Hex } from '../features/schema.js';
import { parseAnomalyStats } from '../features/stats-file.js';
import { decodeModel } from '../onnx/model-file.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import type { Manifest, ModelName } from './manifest.js';

/** The folder this package's committed models live in. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL('..', import.meta.url));

const MODEL_NAMES: readonly ModelName[] = ['categoriser', 'anomaly'];

/** Everything the manifest names, read and checked, before any session exists. */
export interface VerifiedModels {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly stats: AnomalyStats;
  readonly featuriser: Featuriser;
  readonly bytes: Readonly<Record<ModelName, Uint8Array>>;
}

async function readPinned(dir: string, label: string, file: string, sha256: string): Promise<Buffer> {
  const path = join(dir, file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelFileMissingError(label, path, { cause: error });
    throw new ModelCorruptError(label, path, 'cannot be read', { cause: error });
  }
  const actual = sha256Hex(bytes);
  if (actual !== sha256) throw new ModelChecksumError(label, path, sha256, actual);
  return bytes;
}

/**
 * Reads the manifest and every file it names, and checks each against it: the sha256 of each
 * file, the feature schema hashes (manifest vs this code's featurisation vs each model's own
 * metadata), the class list, and that each model parses. Throws a named `ModelsError` on the first
 * problem; creates no inference session.
 */
export async function verifyModels(dir: string = DEFAULT_MODELS_DIR): Promise<VerifiedModels> {
  const manifestPath = join(dir, MANIFEST_FILE);
  const manifest = await readManifest(manifestPath);
  if (manifest.models.categoriser.classes.join(',') !== CATEGORIES.join(',')) {
    throw new ManifestError(manifestPath, `categoriser classes [${manifest.models.categoriser.classes.join(', ')}] are not shared CATEGORIES in order; rebuild the models`);
  }

  const statsBytes = await readPinned(dir, 'feature statistics', manifest.featureStats.file, manifest.featureStats.sha256);
  let stats: AnomalyStats;
  try {
    stats = parseAnomalyStats(JSON.parse(statsBytes.toString('utf8')));
  } catch (error) {
    throw new ModelCorruptError('feature statistics', join(dir, manifest.featureStats.file), 'not anomaly statistics this code reads', { cause: error });
  }
  const featuriser = new Featuriser(stats);

  const bytes = {} as Record<ModelName, Uint8Array>;
  for (const name of MODEL_NAMES) {
    const entry = manifest.models[name];
    const path = join(dir, entry.file);
    const block = featuriser[name];
    if (entry.featureSchemaHash !== block.schemaHash) throw new FeatureSchemaMismatchError(name, 'manifest vs featurisation code', entry.featureSchemaHash, block.schemaHash);
    const width = entry.inputs[0]?.shape[1];
    if (width !== block.width) throw new FeatureSchemaMismatchError(name, 'manifest input width vs featurisation code', String(width), String(block.width));

    const file = await readPinned(dir, name, entry.file, entry.sha256);
    let decoded;
    try {
      decoded = decodeModel(file);
    } catch (error) {
      throw new ModelCorruptError(name, path, 'not an ONNX model', { cause: error });
    }
    if (decoded.opTypes.length === 0 || decoded.inputs.length === 0 || decoded.outputs.length === 0) {
      throw new ModelCorruptError(name, path, 'decodes to no graph (empty or not an ONNX model)');
    }
    const embedded = decoded.metadata['feature_schema_hash'];
    if (embedded === undefined) throw new ModelCorruptError(name, path, 'has no feature_schema_hash metadata; it was not written by models/build.ts');
    if (embedded !== entry.featureSchemaHash) throw new FeatureSchemaMismatchError(name, 'model metadata vs manifest', entry.featureSchemaHash, embedded);
    bytes[name] = file;
  }
  return { dir, manifest, stats, featuriser, bytes };
}

export interface LoadModelsOptions {
  /** Folder holding `manifest.json` and the files it names. @default the committed models (this package's folder) */
  readonly dir?: string;
  /**
   * Threads one session may use within a single run. The scorer runs one session per model per
   * worker thread, so parallelism comes from the workers and 1 avoids oversubscribing the CPUs;
   * 0 lets onnxruntime use one per core. @default 1
   */
  readonly intraOpNumThreads?: number;
}

/**
 * The verified models with one onnxruntime session each. Create once per thread and reuse:
 * sessions are expensive to create and cheap to run.
 *
 * @example
 * const models = await ModelSet.load({ intraOpNumThreads: 1 });
 * try { ... } finally { await models.close(); }
 */
export class ModelSet {
  private closing: Promise<void> | undefined;

  private constructor(
    public readonly verified: VerifiedModels,
    public readonly sessions: Readonly<Record<ModelName, InferenceSession>>,
  ) {}

  public get manifest(): Manifest {
    return this.verified.manifest;
  }

  public get featuriser(): Featuriser {
    return this.verified.featuriser;
  }

  public static async load(options: LoadModelsOptions = {}): Promise<ModelSet> {
    const intraOpNumThreads = options.intraOpNumThreads ?? 1;
    if (!Number.isInteger(intraOpNumThreads) || intraOpNumThreads < 0) {
      throw new RangeError(`intraOpNumThreads must be a whole number of threads (0 = onnxruntime's default), got ${intraOpNumThreads}`);
    }
    const verified = await verifyModels(options.dir ?? DEFAULT_MODELS_DIR);
    const sessions = {} as Record<ModelName, InferenceSession>;
    try {
      for (const name of MODEL_NAMES) {
        sessions[name] = await createSession(verified, name, intraOpNumThreads);
      }
    } catch (error) {
      await Promise.allSettled(Object.values(sessions).map((session) => session.release()));
      throw error;
    }
    return new ModelSet(verified, sessions);
  }

  /** Releases the sessions; a second call returns the first call's promise. */
  public close(): Promise<void> {
    this.closing ??= Promise.allSettled(Object.values(this.sessions).map((session) => session.release())).then(() => undefined);
    return this.closing;
  }
}

async function createSession(verified: VerifiedModels, name: ModelName, intraOpNumThreads: number): Promise<InferenceSession> {
  const entry = verified.manifest.models[name];
  const path = join(verified.dir, entry.file);
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(verified.bytes[name], {
      intraOpNumThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new ModelCorruptError(name, path, `onnxruntime cannot load it: ${(error as Error).message}`, { cause: error });
  }
  const input = entry.inputs[0]?.name ?? '';
  const output = entry.outputs[0]?.name ?? '';
  if (!session.inputNames.includes(input) || !session.outputNames.includes(output)) {
    await session.release();
    throw new ModelCorruptError(name, path, `graph has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; the manifest expects ${input} → ${output}`);
  }
  return session;
}
