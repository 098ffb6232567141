/**
 * The models package: synthetic data, featurisation, the ONNX models' loader and scorer.
 * The scorer imports from here; training code lives under `training/` and is not needed at run time.
 */
export * from './errors.js';
export { Featuriser } from './features/featuriser.js';
export type { FeatureBlock } from './features/featuriser.js';
export { ANOMALY_FEATURES, ANOMALY_WIDTH, CATEGORISER_WIDTH, featuriseAnomaly, featuriseCategoriser } from './features/index.js';
export type { AnomalyStats } from './features/index.js';
export { DEFAULT_MODELS_DIR, ModelSet, verifyModels } from './runtime/loader.js';
export type { LoadModelsOptions, VerifiedModels } from './runtime/loader.js';
export { MANIFEST_FILE, readManifest } from './runtime/manifest.js';
export type { Manifest, ModelEntry, ModelName } from './runtime/manifest.js';
export { TransactionScorer } from './runtime/scorer.js';
export type { TransactionScore } from './runtime/scorer.js';
export { AnomalyKind, generateTransactions, transactionStream } from './synthetic/index.js';
export type { GenerateOptions, LabelledTransaction, TransactionLabel } from './synthetic/index.js';
