import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CATEGORIES } from '../../shared/schemas/categories.js';
import { Featuriser, fitAnomalyStats, serialiseAnomalyStats, sha256Hex } from '../features/index.js';
import { anomalyGraph, categoriserGraph, IO_NAMES } from '../onnx/graphs.js';
import { encodeModel, OPSET } from '../onnx/model-file.js';
import { MANIFEST_FILE, MANIFEST_VERSION, serialiseManifest } from '../runtime/manifest.js';
import type { Manifest } from '../runtime/manifest.js';
import { buildDataset, HELD_OUT_EVERY } from './dataset.js';
import { argmaxRows, mlpForward, softmaxForward } from './forward.js';
import { atThreshold, bestF1Threshold, classificationReport, rocAuc } from './metrics.js';
import { trainMlp } from './mlp.js';
import { trainSoftmaxRegression } from './softmax-regression.js';
import { sparseFromDense } from './sparse.js';

/** Bump a model's version when its architecture or training changes in a way callers should see. */
export const MODEL_VERSIONS = { categoriser: '1.0.0', anomaly: '1.0.0' } as const;

export const MODEL_FILES = {
  categoriser: 'categoriser.onnx',
  anomaly: 'anomaly.onnx',
  featureStats: 'anomaly-stats.json',
} as const;

export interface BuildOptions {
  /** Folder the model files and `manifest.json` are written to (created if missing). */
  readonly outDir: string;
  /** Seeds the data, the split and both trainings. @default 20261001 */
  readonly seed?: number;
  /** Synthetic transactions to generate, before the split. @default 60000 */
  readonly count?: number;
  /** Synthetic account holders. @default 400 */
  readonly users?: number;
  /** First booking instant of the synthetic data. @default '2025-09-01T00:00:00Z' */
  readonly startAt?: string;
  /** Share of card payments turned into anomalies. @default 0.02 */
  readonly anomalyRate?: number;
  /** Passes of the categoriser's training. @default 6 */
  readonly categoriserEpochs?: number;
  /** Passes of the anomaly model's training. @default 20 */
  readonly anomalyEpochs?: number;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

export const DEFAULT_BUILD_OPTIONS = {
  seed: 20261001,
  count: 60_000,
  users: 400,
  startAt: '2025-09-01T00:00:00Z',
  anomalyRate: 0.02,
  categoriserEpochs: 6,
  anomalyEpochs: 20,
} as const;

export interface BuildResult {
  readonly manifest: Manifest;
  /** Paths written, manifest last. */
  readonly files: readonly string[];
}

const round = (value: number): number => Number(value.toFixed(6));

/**
 * Generates the data, trains both models, exports them to ONNX and writes the manifest. Nothing
 * depends on the clock or on the machine, so the same options give byte-identical files.
 */
export async function buildModels(options: BuildOptions): Promise<BuildResult> {
  const settings = { ...DEFAULT_BUILD_OPTIONS, ...definedOnly(options) };
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const lap = (label: string): void => log(`${label} (${Math.round(performance.now() - started)} ms)`);

  const data = buildDataset({ seed: settings.seed, count: settings.count, users: settings.users, startAt: settings.startAt, anomalyRate: settings.anomalyRate });
  const trainRows = data.train.transactions.length;
  const heldOutRows = data.heldOut.transactions.length;
  lap(`data: ${trainRows} training and ${heldOutRows} held-out transactions`);

  // Categoriser.
  const stats = fitAnomalyStats(data.train.transactions);
  const featuriser = new Featuriser(stats);
  const sparse = sparseFromDense(data.train.transactions, featuriser.categoriser.width, featuriser.categoriser.featurise);
  const categoriser = trainSoftmaxRegression(sparse, data.train.categories, CATEGORIES.length, { seed: settings.seed, epochs: settings.categoriserEpochs });
  const heldOutProbabilities = softmaxForward(categoriser, featuriser.categoriser.featurise(data.heldOut.transactions), heldOutRows);
  const report = classificationReport(data.heldOut.categories, argmaxRows(heldOutProbabilities, heldOutRows, CATEGORIES.length), CATEGORIES.length);
  const categoriserMetrics = {
    accuracy: round(report.accuracy),
    macroF1: round(report.macroF1),
    f1ByClass: Object.fromEntries(CATEGORIES.map((category, index) => [category, round(report.f1[index] ?? 0)])),
  };
  lap(`categoriser: held-out accuracy ${categoriserMetrics.accuracy.toFixed(4)}, macro F1 ${categoriserMetrics.macroF1.toFixed(4)}`);

  // Anomaly scorer; its threshold is chosen on the training split, then judged on the held-out one.
  const trainAnomalyRows = featuriser.anomaly.featurise(data.train.transactions);
  const anomaly = trainMlp(trainAnomalyRows, data.train.anomalies, featuriser.anomaly.width, { seed: settings.seed, epochs: settings.anomalyEpochs });
  const threshold = round(bestF1Threshold(mlpForward(anomaly, trainAnomalyRows, trainRows), data.train.anomalies).threshold);
  const heldOutScores = mlpForward(anomaly, featuriser.anomaly.featurise(data.heldOut.transactions), heldOutRows);
  const flagged = atThreshold(heldOutScores, data.heldOut.anomalies, threshold);
  const anomalyMetrics = {
    rocAuc: round(rocAuc(heldOutScores, data.heldOut.anomalies)),
    precision: round(flagged.precision),
    recall: round(flagged.recall),
    f1: round(flagged.f1),
    heldOutAnomalies: data.heldOut.anomalies.filter(Boolean).length,
  };
  lap(`anomaly: held-out ROC AUC ${anomalyMetrics.rocAuc.toFixed(4)}; at threshold ${threshold.toFixed(4)} precision ${anomalyMetrics.precision.toFixed(4)}, recall ${anomalyMetrics.recall.toFixed(4)}`);

  // Export.
  const build = { seed: settings.seed, count: settings.count, users: settings.users, startAt: settings.startAt, anomalyRate: settings.anomalyRate, trainRows, heldOutRows, heldOutEvery: HELD_OUT_EVERY };
  const common = { training_seed: String(settings.seed), training_rows: String(trainRows), heldout_rows: String(heldOutRows), generator: JSON.stringify(build) };
  const categoriserBytes = encodeModel(
    categoriserGraph(categoriser, 1, {
      ...common,
      model_name: 'categoriser',
      model_version: MODEL_VERSIONS.categoriser,
      feature_schema_hash: featuriser.categoriser.schemaHash,
      classes: JSON.stringify(CATEGORIES),
      heldout_metrics: JSON.stringify(categoriserMetrics),
    }),
  );
  const anomalyBytes = encodeModel(
    anomalyGraph(anomaly, 1, {
      ...common,
      model_name: 'anomaly',
      model_version: MODEL_VERSIONS.anomaly,
      feature_schema_hash: featuriser.anomaly.schemaHash,
      threshold: String(threshold),
      heldout_metrics: JSON.stringify(anomalyMetrics),
    }),
  );
  const statsText = serialiseAnomalyStats(stats);

  const io = (name: string, width: number) => [{ name, type: 'float32' as const, shape: ['batch' as const, width] as ['batch', number] }];
  const manifest: Manifest = {
    manifestVersion: MANIFEST_VERSION,
    build,
    featureStats: { file: MODEL_FILES.featureStats, sha256: sha256Hex(statsText) },
    models: {
      categoriser: {
        file: MODEL_FILES.categoriser,
        sha256: sha256Hex(categoriserBytes),
        version: MODEL_VERSIONS.categoriser,
        opset: OPSET,
        inputs: io(IO_NAMES.categoriser.input, featuriser.categoriser.width),
        outputs: io(IO_NAMES.categoriser.output, CATEGORIES.length),
        featureSchemaHash: featuriser.categoriser.schemaHash,
        classes: [...CATEGORIES],
        metrics: categoriserMetrics,
      },
      anomaly: {
        file: MODEL_FILES.anomaly,
        sha256: sha256Hex(anomalyBytes),
        version: MODEL_VERSIONS.anomaly,
        opset: OPSET,
        inputs: io(IO_NAMES.anomaly.input, featuriser.anomaly.width),
        outputs: io(IO_NAMES.anomaly.output, 1),
        featureSchemaHash: featuriser.anomaly.schemaHash,
        threshold,
        metrics: anomalyMetrics,
      },
    },
  };

  await mkdir(options.outDir, { recursive: true });
  const files = [
    [MODEL_FILES.categoriser, categoriserBytes],
    [MODEL_FILES.anomaly, anomalyBytes],
    [MODEL_FILES.featureStats, statsText],
    // The manifest goes last: a build that dies half-way leaves a manifest that no longer matches.
    [MANIFEST_FILE, serialiseManifest(manifest)],
  ] as const;
  const written: string[] = [];
  for (const [name, content] of files) {
    const path = join(options.outDir, name);
    await writeFile(path, content);
    written.push(path);
  }
  lap(`wrote ${written.length} files to ${options.outDir}`);
  return { manifest, files: written };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
