import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { decodeArchiveObject, QuarantineReason } from '../../../shared/archive/archive-object.js';
import { CorruptObjectError } from '../../../shared/archive/errors.js';

function reasonOf(bytes: Uint8Array): string {
  try {
    decodeArchiveObject('k', bytes);
  } catch (error) {
    if (error instanceof CorruptObjectError) return error.reason;
    throw error;
  }
  throw new Error('expected a CorruptObjectError');
}

describe('Function: decodeArchiveObject', () => {
  it('returns the lines of GZIP NDJSON, several GZIP members included, without empty lines', () => {
    // Prepare
    const bytes = Buffer.concat([gzipSync('{"a":1}\n{"a":2}\n'), gzipSync('{"a":3}\r\n\n')]);

    // Act
    const lines = decodeArchiveObject('k', bytes);

    // Assess
    expect(lines).to.deep.equal(['{"a":1}', '{"a":2}', '{"a":3}']);
  });

  it('names what is wrong with an unusable object', () => {
    // Prepare
    const whole = gzipSync(Buffer.from('{"a":1}\n'.repeat(200)));

    // Act & Assess
    expect(reasonOf(whole.subarray(0, Math.floor(whole.length / 2)))).to.equal(QuarantineReason.TruncatedGzip);
    expect(reasonOf(Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(64)]))).to.equal(QuarantineReason.CorruptGzip);
    expect(reasonOf(Buffer.from('plain text, not gzip'))).to.equal(QuarantineReason.NotGzip);
    expect(reasonOf(new Uint8Array(0))).to.equal(QuarantineReason.Empty);
    expect(reasonOf(gzipSync(Buffer.from([0xff, 0xfe, 0x0a])))).to.equal(QuarantineReason.NotUtf8);
  });
});
