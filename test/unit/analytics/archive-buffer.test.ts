import { expect } from 'chai';
import { gunzipSync } from 'node:zlib';
import { ArchiveBuffer } from '../../../local/archiver/archive-buffer.js';
import type { BufferedRecord } from '../../../local/archiver/archive-buffer.js';
import { encodeArchiveObject } from '../../../local/archiver/archive-writer.js';

const record = (text: string, arrival = new Date()): BufferedRecord => ({ data: Buffer.from(text), arrival });

/** A buffer whose writes are recorded, and can be made to fail. */
function recordingBuffer(maxBytes: number, intervalMs = 60_000): { buffer: ArchiveBuffer; objects: string[][]; failNext: () => void } {
  const objects: string[][] = [];
  let fail = false;
  const buffer = new ArchiveBuffer({
    maxBytes,
    intervalMs,
    write: async (records) => {
      if (fail) {
        fail = false;
        throw new Error('S3 is down');
      }
      objects.push(records.map((r) => Buffer.from(r.data).toString()));
    },
  });
  return { buffer, objects, failNext: () => (fail = true) };
}

describe('Class: ArchiveBuffer', () => {
  describe('Method: add', () => {
    it('cuts an object as soon as the size hint is reached, never above it, and keeps the rest', async () => {
      // Prepare: records of 9 bytes plus a newline, 25 bytes per object.
      const { buffer, objects } = recordingBuffer(25);

      // Act
      const added = buffer.add(['aaaaaaaaa', 'bbbbbbbbb', 'ccccccccc', 'ddddddddd', 'eeeeeeeee'].map((t) => record(t)));
      await buffer.flush();
      await added;

      // Assess
      expect(objects).to.deep.equal([['aaaaaaaaa', 'bbbbbbbbb'], ['ccccccccc', 'ddddddddd'], ['eeeeeeeee']]);
    });

    it('resolves only once every record it added is in a written object', async () => {
      // Prepare
      const { buffer, objects } = recordingBuffer(1_000_000);
      let resolved = false;

      // Act
      const added = buffer.add([record('one'), record('two')]).then(() => (resolved = true));
      await new Promise((r) => setImmediate(r));
      const before = resolved;
      await buffer.flush();
      await added;

      // Assess
      expect(before).to.equal(false);
      expect(resolved).to.equal(true);
      expect(objects).to.deep.equal([['one', 'two']]);
    });

    it('writes on its own once the oldest record has waited the interval', async () => {
      // Prepare
      const { buffer, objects } = recordingBuffer(1_000_000, 20);

      // Act
      await buffer.add([record('late')]);

      // Assess
      expect(objects).to.deep.equal([['late']]);
    });

    it('rejects the records of an object that failed, and writes later ones', async () => {
      // Prepare
      const { buffer, objects, failNext } = recordingBuffer(1_000_000);
      failNext();

      // Act
      const first = buffer.add([record('lost')]);
      await buffer.flush();
      const error = await first.then(
        () => undefined,
        (e: unknown) => e,
      );
      const second = buffer.add([record('kept')]);
      await buffer.flush();
      await second;

      // Assess
      expect((error as Error).message).to.equal('S3 is down');
      expect(objects).to.deep.equal([['kept']]);
    });
  });

  describe('Method: drainMode', () => {
    it('writes every later add at once', async () => {
      // Prepare
      const { buffer, objects } = recordingBuffer(1_000_000);
      await buffer.drainMode();

      // Act
      await buffer.add([record('x')]);

      // Assess
      expect(objects).to.deep.equal([['x']]);
    });
  });
});

describe('Function: encodeArchiveObject', () => {
  it("writes GZIP of each record's bytes followed by a newline", () => {
    // Prepare
    const records = [record('{"a":1}'), record('{"b":"ü"}')];

    // Act
    const text = gunzipSync(encodeArchiveObject(records)).toString('utf8');

    // Assess
    expect(text).to.equal('{"a":1}\n{"b":"ü"}\n');
  });
});
