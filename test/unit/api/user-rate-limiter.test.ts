import { expect } from 'chai';
import { UserRateLimiter } from '../../../workers/api/auth/user-rate-limiter.js';

describe('Class: UserRateLimiter', () => {
  function limiter(options: { ratePerSecond: number; burst: number; maxTrackedUsers?: number }) {
    const clock = { ms: 0 };
    return { clock, limiter: new UserRateLimiter({ ...options, now: () => clock.ms }) };
  }

  describe('Method: take', () => {
    it("allows a user's burst at once, then one request per refill interval", () => {
      // Prepare
      const { clock, limiter: subject } = limiter({ ratePerSecond: 2, burst: 3 });

      // Act
      const burst = [1, 2, 3, 4].map(() => subject.take('a').allowed);
      clock.ms = 499;
      const tooSoon = subject.take('a');
      clock.ms = 500;
      const refilled = subject.take('a');

      // Assess
      expect(burst).to.deep.equal([true, true, true, false]);
      expect(tooSoon).to.deep.equal({ allowed: false, retryAfterSeconds: 1 });
      expect(refilled.allowed).to.equal(true);
    });

    it('keeps users apart', () => {
      // Prepare
      const { limiter: subject } = limiter({ ratePerSecond: 1, burst: 1 });

      // Act
      const answers = [subject.take('a').allowed, subject.take('a').allowed, subject.take('b').allowed];

      // Assess
      expect(answers).to.deep.equal([true, false, true]);
    });

    it('says how many whole seconds until a slow rate allows the next request', () => {
      // Prepare
      const { limiter: subject } = limiter({ ratePerSecond: 0.25, burst: 1 });
      subject.take('a');

      // Act
      const answer = subject.take('a');

      // Assess
      expect(answer).to.deep.equal({ allowed: false, retryAfterSeconds: 4 });
    });

    it('drops only full buckets when it tracks too many users', () => {
      // Prepare
      const { clock, limiter: subject } = limiter({ ratePerSecond: 1, burst: 2, maxTrackedUsers: 2 });
      subject.take('a');
      subject.take('a');
      clock.ms = 5_000;
      subject.take('b');
      subject.take('b');

      // Act: 'a' has refilled (dropped), 'b' has not (kept, still owing).
      subject.take('c');
      const b = [subject.take('b').allowed, subject.take('b').allowed];

      // Assess
      expect(subject.trackedUsers).to.equal(2);
      expect(b).to.deep.equal([false, false]);
    });

    it('refuses a rate or burst that could never allow a request', () => {
      expect(() => new UserRateLimiter({ ratePerSecond: 0, burst: 1 })).to.throw(RangeError, /ratePerSecond/);
      expect(() => new UserRateLimiter({ ratePerSecond: 1, burst: 0 })).to.throw(RangeError, /burst/);
    });
  });
});
