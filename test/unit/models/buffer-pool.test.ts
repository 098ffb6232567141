import { expect } from 'chai';
import { BufferPool } from '../../../models/runtime/buffer-pool.js';

describe('Class: BufferPool', () => {
  describe('Method: acquire', () => {
    it('hands a released buffer out again when it is large enough, and a new one otherwise', () => {
      // Prepare
      const pool = new BufferPool();
      const first = pool.acquire(100);
      pool.release(first);

      // Act
      const again = pool.acquire(50);
      const larger = pool.acquire(200);

      // Assess
      expect(again).to.equal(first);
      expect(larger).to.not.equal(first);
      expect(larger.length).to.be.at.least(200);
    });

    it('gives buffers borrowed at the same time to different callers', () => {
      // Prepare
      const pool = new BufferPool();

      // Act
      const a = pool.acquire(10);
      const b = pool.acquire(10);

      // Assess
      expect(a).to.not.equal(b);
    });
  });

  describe('Method: release', () => {
    it('keeps neither buffers over the size limit nor more than the count limit', () => {
      // Prepare
      const pool = new BufferPool(100, 1);
      const huge = pool.acquire(1000);
      const small = pool.acquire(10);
      const extra = pool.acquire(10);

      // Act
      pool.release(huge);
      pool.release(small);
      pool.release(extra);

      // Assess
      expect(pool.acquire(10)).to.equal(small);
      expect(pool.acquire(10)).to.not.equal(extra);
      expect(pool.acquire(1000)).to.not.equal(huge);
    });
  });
});
