import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ManifestError } from '../errors.js';

export const MANIFEST_VERSION = 1 as const;
export const MANIFEST_FILE = 'manifest.json';

const tensorSchema = z.object({
  name: z.string().min(1),
  type: z.literal('float32'),
  /** `['batch', width]`: the first dimension is dynamic. */
  shape: z.tuple([z.literal('batch'), z.number().int().positive()]),
});

const modelEntry = z.object({
  /** Relative to the manifest's folder. */
  file: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  version: z.string().min(1),
  opset: z.number().int().positive(),
  inputs: z.array(tensorSchema).length(1),
  outputs: z.array(tensorSchema).length(1),
  featureSchemaHash: z.string().regex(/^[0-9a-f]{64}$/),
});

const manifestSchema = z.object({
  manifestVersion: z.literal(MANIFEST_VERSION),
  build: z.object({
    seed: z.number().int(),
    count: z.number().int().positive(),
    users: z.number().int().positive(),
    startAt: z.string(),
    anomalyRate: z.number(),
    trainRows: z.number().int(),
    heldOutRows: z.number().int(),
    heldOutEvery: z.number().int(),
  }),
  featureStats: z.object({ file: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  models: z.object({
    categoriser: modelEntry.extend({
      classes: z.array(z.string()).min(2),
      metrics: z.object({ accuracy: z.number(), macroF1: z.number(), f1ByClass: z.record(z.string(), z.number()) }),
    }),
    anomaly: modelEntry.extend({
      /** Scores at or above it are flagged `isAnomaly`. */
      threshold: z.number().min(0).max(1),
      metrics: z.object({ rocAuc: z.number(), precision: z.number(), recall: z.number(), f1: z.number(), heldOutAnomalies: z.number().int() }),
    }),
  }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ModelName = keyof Manifest['models'];
export type ModelEntry = Manifest['models'][ModelName];

/** Checks a parsed value is a manifest this code reads; `path` names it in the error. */
export function parseManifest(value: unknown, path: string): Manifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(path, `${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is not a manifest'}`.trim(), { cause: parsed.error });
  }
  return parsed.data;
}

export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ManifestError(path, 'cannot be read; run `npm run models:build`', { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(path, 'is not JSON', { cause: error });
  }
  return parseManifest(value, path);
}

/** The manifest's text: two-space JSON with a final newline, keys in the order built. */
export function serialiseManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
