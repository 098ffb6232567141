import { expect } from 'chai';
import { decodeCursor, encodeCursor, InvalidCursorError, splitLines } from '../../../local/broker/index.js';
import { retryAfterSeconds, TokenBucket } from '../../../local/broker/rate-limiter.js';

describe('Function: encodeCursor', () => {
  it('round-trips every offset through an opaque URL-safe token', () => {
    // Prepare
    const offsets = [0, 1, 499, 20_000, Number.MAX_SAFE_INTEGER];

    // Act
    const cursors = offsets.map(encodeCursor);

    // Assess
    expect(cursors.map(decodeCursor)).to.deep.equal(offsets);
    for (const cursor of cursors) expect(cursor).to.match(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses tokens it did not issue', () => {
    // Prepare
    const foreign = ['', 'abc', Buffer.from('v2:10').toString('base64url'), Buffer.from('v1:-1').toString('base64url'), Buffer.from('v1:01').toString('base64url'), 'a/b+c='];

    // Act
    const outcomes = foreign.map((cursor) => {
      try {
        return decodeCursor(cursor);
      } catch (error) {
        return error;
      }
    });

    // Assess
    for (const outcome of outcomes) expect(outcome).to.be.instanceOf(InvalidCursorError);
  });
});

describe('Class: TokenBucket', () => {
  describe('Method: take', () => {
    it('allows the burst at once, then one request per 1/rate seconds, saying how long to wait', () => {
      // Prepare
      let now = 0;
      const bucket = new TokenBucket(4, 2, () => now);

      // Act
      const burst = [bucket.take().ok, bucket.take().ok];
      const refused = bucket.take();
      now += 250;
      const afterQuarter = bucket.take().ok;

      // Assess
      expect(burst).to.deep.equal([true, true]);
      expect(refused).to.deep.equal({ ok: false, retryAfterMs: 250 });
      expect(afterQuarter).to.equal(true);
    });
  });

  describe('Function: retryAfterSeconds', () => {
    it('rounds up to whole seconds, never below one', () => {
      expect([0, 1, 999, 1000, 1001].map(retryAfterSeconds)).to.deep.equal([1, 1, 1, 1, 2]);
    });
  });
});

describe('Function: splitLines', () => {
  it('splits on newline only, a final newline ending the last line', () => {
    // Act
    const split = (text: string): string[] => splitLines(Buffer.from(text)).map((b) => b.toString());

    // Assess
    expect(split('')).to.deep.equal([]);
    expect(split('a\n')).to.deep.equal(['a']);
    expect(split('a\n\nb')).to.deep.equal(['a', '', 'b']);
    expect(split('a\r\nb\n\n')).to.deep.equal(['a\r', 'b', '']);
  });
});
