import { expect } from 'chai';
import { BatchAbortedError } from '../../../workers/stream-reader/errors.js';
import { SlotLimiter } from '../../../workers/stream-reader/slot-limiter.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Class: SlotLimiter', () => {
  describe('Method: acquire', () => {
    it('hands out up to capacity at once, then in FIFO order as slots are released', async () => {
      // Prepare
      const limiter = new SlotLimiter(2, 'shard-1');
      const order: string[] = [];
      const a = await limiter.acquire();
      const b = await limiter.acquire();

      // Act
      const c = limiter.acquire().then((release) => (order.push('c'), release));
      const d = limiter.acquire().then((release) => (order.push('d'), release));
      await tick();
      const blocked = [...order];
      a();
      a(); // a second release of the same slot gives back nothing more
      await tick();
      const afterOne = [...order];
      b();
      (await c)();
      (await d)();

      // Assess
      expect(blocked).to.deep.equal([]);
      expect(afterOne).to.deep.equal(['c']);
      expect(order).to.deep.equal(['c', 'd']);
      expect(limiter.inUse).to.equal(0);
      expect(limiter.waiting).to.equal(0);
    });

    it('rejects a waiter whose signal aborts, and gives its place to the next', async () => {
      // Prepare
      const limiter = new SlotLimiter(1, 'shard-1');
      const held = await limiter.acquire();
      const controller = new AbortController();
      const aborted = limiter.acquire(controller.signal);
      const next = limiter.acquire();

      // Act
      controller.abort(new Error('lease lost'));
      const error = await aborted.catch((e: unknown) => e);
      held();
      const release = await next;

      // Assess
      expect(error).to.be.instanceOf(BatchAbortedError);
      expect(limiter.inUse).to.equal(1);
      release();
      expect(limiter.inUse).to.equal(0);
    });
  });
});
