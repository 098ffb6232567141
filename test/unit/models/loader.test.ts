import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MODELS_DIR,
  FeatureSchemaMismatchError,
  MANIFEST_FILE,
  ManifestError,
  ModelChecksumError,
  ModelCorruptError,
  ModelFileMissingError,
  ModelSet,
  ModelsError,
  verifyModels,
} from '../../../models/index.js';
import type { Manifest } from '../../../models/index.js';
import { sha256Hex } from '../../../models/features/schema.js';
import { categoriserGraph, softmaxFromInitializers } from '../../../models/onnx/graphs.js';
import { decodeModel, encodeModel } from '../../../models/onnx/model-file.js';

/** A private copy of the committed models that a test may break. */
async function copyOfModels(): Promise<{ dir: string; manifest: Manifest }> {
  const dir = join(tmpdir(), `models-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(DEFAULT_MODELS_DIR, MANIFEST_FILE), 'utf8')) as Manifest;
  for (const file of [MANIFEST_FILE, manifest.featureStats.file, manifest.models.categoriser.file, manifest.models.anomaly.file]) {
    await copyFile(join(DEFAULT_MODELS_DIR, file), join(dir, file));
  }
  return { dir, manifest };
}

async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('Class: ModelSet', () => {
  let dir: string;
  let manifest: Manifest;

  beforeEach(async () => {
    ({ dir, manifest } = await copyOfModels());
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('Method: load', () => {
    it('loads intact models with one session per model, named as the manifest says', async () => {
      // Act
      const models = await ModelSet.load({ dir, intraOpNumThreads: 1 });

      // Assess
      try {
        expect(models.sessions.categoriser.inputNames).to.deep.equal([manifest.models.categoriser.inputs[0]?.name]);
        expect(models.sessions.anomaly.outputNames).to.deep.equal([manifest.models.anomaly.outputs[0]?.name]);
        expect(models.featuriser.anomaly.schemaHash).to.equal(manifest.models.anomaly.featureSchemaHash);
      } finally {
        await models.close();
      }
    });

    it('stops on a tampered model file, naming both hashes', async () => {
      // Prepare
      const path = join(dir, manifest.models.categoriser.file);
      const bytes = await readFile(path);
      bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff;
      await writeFile(path, bytes);

      // Act
      const error = await rejection(ModelSet.load({ dir }));

      // Assess
      expect(error).to.be.instanceOf(ModelChecksumError).and.instanceOf(ModelsError);
      const checksum = error as ModelChecksumError;
      expect(checksum.model).to.equal('categoriser');
      expect(checksum.expected).to.equal(manifest.models.categoriser.sha256);
      expect(checksum.actual).to.equal(sha256Hex(bytes));
      expect(checksum.message).to.contain(path);
    });

    it('stops on tampered feature statistics', async () => {
      // Prepare
      const path = join(dir, manifest.featureStats.file);
      await writeFile(path, (await readFile(path, 'utf8')).replace('"rows":', '"rows": '));

      // Act
      const error = await rejection(ModelSet.load({ dir }));

      // Assess
      expect(error).to.be.instanceOf(ModelChecksumError);
      expect((error as ModelChecksumError).model).to.equal('feature statistics');
    });

    it('stops when the manifest pins another feature schema than the code computes', async () => {
      // Prepare
      manifest.models.anomaly.featureSchemaHash = 'f'.repeat(64);
      await writeManifest(dir, manifest);

      // Act
      const error = await rejection(ModelSet.load({ dir }));

      // Assess
      expect(error).to.be.instanceOf(FeatureSchemaMismatchError);
      expect((error as FeatureSchemaMismatchError).model).to.equal('anomaly');
      expect((error as FeatureSchemaMismatchError).between).to.equal('manifest vs featurisation code');
    });

    it('stops when a model was trained on other features than its manifest entry says', async () => {
      // Prepare: the same weights, re-exported with another schema hash in the model's own metadata.
      const path = join(dir, manifest.models.categoriser.file);
      const decoded = decodeModel(await readFile(path));
      const bytes = encodeModel(
        categoriserGraph(softmaxFromInitializers(decoded.initializers), decoded.modelVersion, { ...decoded.metadata, feature_schema_hash: '0'.repeat(64) }),
      );
      await writeFile(path, bytes);
      manifest.models.categoriser.sha256 = sha256Hex(bytes);
      await writeManifest(dir, manifest);

      // Act
      const error = await rejection(ModelSet.load({ dir }));

      // Assess
      expect(error).to.be.instanceOf(FeatureSchemaMismatchError);
      expect((error as FeatureSchemaMismatchError).between).to.equal('model metadata vs manifest');
      expect((error as FeatureSchemaMismatchError).actual).to.equal('0'.repeat(64));
    });

    it('stops on a missing model file', async () => {
      // Prepare
      await unlink(join(dir, manifest.models.anomaly.file));

      // Act
      const error = await rejection(ModelSet.load({ dir }));

      // Assess
      expect(error).to.be.instanceOf(ModelFileMissingError);
      expect((error as ModelFileMissingError).model).to.equal('anomaly');
      expect(error.message).to.contain('models:build');
    });

    it('stops on a corrupt model file even when the manifest pins its bytes', async () => {
      // Prepare: a truncated file whose checksum was (wrongly) updated.
      const path = join(dir, manifest.models.categoriser.file);
      const bytes = (await readFile(path)).subarray(0, 1000);
      await writeFile(path, bytes);
      manifest.models.categoriser.sha256 = sha256Hex(bytes);
      await writeManifest(dir, manifest);

      // Act
      const error = await rejection(ModelSet.load({ dir }));

      // Assess
      expect(error).to.be.instanceOf(ModelCorruptError);
      expect((error as ModelCorruptError).model).to.equal('categoriser');
    });

    it('stops on a missing or malformed manifest', async () => {
      // Prepare
      const other = join(dir, 'elsewhere');
      await mkdir(other);
      await writeFile(join(dir, MANIFEST_FILE), '{"manifestVersion": 1}');

      // Act
      const missing = await rejection(ModelSet.load({ dir: other }));
      const malformed = await rejection(ModelSet.load({ dir }));

      // Assess
      expect(missing).to.be.instanceOf(ManifestError);
      expect(malformed).to.be.instanceOf(ManifestError);
      expect(malformed.message).to.contain(MANIFEST_FILE);
    });

    it('stops when the manifest classes are not the shared categories in order', async () => {
      // Prepare
      const classes = manifest.models.categoriser.classes;
      [classes[0], classes[1]] = [classes[1] as string, classes[0] as string];
      await writeManifest(dir, manifest);

      // Act
      const error = await rejection(verifyModels(dir));

      // Assess
      expect(error).to.be.instanceOf(ManifestError);
      expect(error.message).to.contain('CATEGORIES');
    });

    it('refuses a thread count that is not a whole number', async () => {
      // Act
      const error = await rejection(ModelSet.load({ dir, intraOpNumThreads: -1 }));

      // Assess
      expect(error).to.be.instanceOf(RangeError);
      expect(error.message).to.contain('intraOpNumThreads');
    });
  });

  describe('Method: close', () => {
    it('returns the same promise when called twice', async () => {
      // Prepare
      const models = await ModelSet.load({ dir });

      // Act
      const first = models.close();
      const second = models.close();

      // Assess
      expect(second).to.equal(first);
      await first;
    });
  });
});
