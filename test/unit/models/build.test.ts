import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DEFAULT_MODELS_DIR, ModelSet } from '../../../models/index.js';
import { buildModels } from '../../../models/training/build-models.js';

// A small build: the same code path as the committed one, in a couple of seconds.
const SMALL = { count: 5000, users: 60, categoriserEpochs: 2, anomalyEpochs: 3 } as const;

describe('Function: buildModels', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = join(tmpdir(), `models-build-${randomUUID()}`);
    dirs.push(dir);
    return dir;
  };

  after(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('writes byte-identical files when run twice with the same options', async () => {
    // Prepare
    const first = tempDir();
    const second = tempDir();

    // Act
    const a = await buildModels({ outDir: first, ...SMALL });
    const b = await buildModels({ outDir: second, ...SMALL });

    // Assess
    expect(a.files.map((path) => basename(path))).to.deep.equal(b.files.map((path) => basename(path)));
    for (const path of a.files) {
      const name = basename(path);
      expect((await readFile(path)).equals(await readFile(join(second, name))), `${name} differs between runs`).to.equal(true);
    }
  });

  it('writes models the loader accepts, with the build options in the manifest', async () => {
    // Prepare
    const dir = tempDir();

    // Act
    const { manifest } = await buildModels({ outDir: dir, ...SMALL, seed: 7 });
    const models = await ModelSet.load({ dir });

    // Assess
    try {
      expect(manifest.build.seed).to.equal(7);
      expect(manifest.build.trainRows + manifest.build.heldOutRows).to.equal(SMALL.count);
      expect(models.manifest).to.deep.equal(manifest);
    } finally {
      await models.close();
    }
  });

  it('regenerates the committed model files exactly, from the default options', async function () {
    // The full build takes ten-odd seconds on a shared machine.
    this.timeout(180_000);

    // Prepare
    const dir = tempDir();

    // Act
    const { files } = await buildModels({ outDir: dir });

    // Assess
    for (const path of files) {
      const name = basename(path);
      const committed = await readFile(join(DEFAULT_MODELS_DIR, name));
      expect((await readFile(path)).equals(committed), `${name} differs from the committed one: run \`npm run models:build\` and commit`).to.equal(true);
    }
  });
});
