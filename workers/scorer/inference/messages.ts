import type { Transaction } from '../../../shared/schemas/transaction.js';

/** The messages between the inference pool (main thread) and its threads. */

/** Given to each thread at start (`workerData`). */
export interface ThreadStartData {
  readonly index: number;
  /** MODELS_DIR: manifest.json and the ONNX files. */
  readonly modelsDir: string;
  /** onnxruntime's own intra-op threads per session: 1, since the pool already gives each CPU a thread. */
  readonly intraOpNumThreads: number;
}

/** The models a thread loaded, as the runtime names them (`name@version+sha256 prefix`). */
export interface ModelVersions {
  readonly categoriser: string;
  readonly anomaly: string;
}

export interface ScoreRequest {
  readonly type: 'score';
  readonly id: number;
  readonly transactions: readonly Transaction[];
}

export type ToThread = ScoreRequest;

/** A record the thread could not featurise or score alone; the rest of its batch is scored. */
export interface RecordFailure {
  readonly index: number;
  readonly message: string;
}

/** Scores of one batch, in input order, as the models runtime gave them; rows of failed records are NaN. */
export interface BatchScores {
  /** `transactions.length × categories`, row-major probabilities in `CATEGORIES` order. */
  readonly categoryScores: Float32Array;
  readonly categories: number;
  /** The runtime's most probable category per transaction, as an index into `CATEGORIES`. */
  readonly categoryIndex: Uint8Array;
  /** One per transaction, in [0, 1]. */
  readonly anomalyScores: Float32Array;
  /** 1 where the runtime flagged the transaction (score at or above the manifest's threshold). */
  readonly isAnomaly: Uint8Array;
  readonly failures: readonly RecordFailure[];
  /** The worker thread that ran the batch (never the main thread's 0). */
  readonly threadId: number;
  /** Time spent in featurisation and inference inside the thread, ms. */
  readonly busyMs: number;
}

export type FromThread =
  | { readonly type: 'ready'; readonly threadId: number; readonly versions: ModelVersions }
  | { readonly type: 'start-failed'; readonly message: string }
  | ({ readonly type: 'scored'; readonly id: number } & BatchScores)
  | { readonly type: 'score-failed'; readonly id: number; readonly message: string };
