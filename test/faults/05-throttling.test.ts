import { expect } from 'chai';
import { runScenario, syntheticLines } from './harness/scenario.js';

/** Share of Kinesis and DynamoDB requests refused as over capacity, and for how long. */
const SHARE = 0.4;
const WINDOW_MS = 8_000;

describe('Fault suite', function () {
  this.timeout(300_000);

  describe('Scenario: Kinesis and DynamoDB throttling for a while', function () {
    it('backs off and retries without losing anything', async function () {
      // Prepare
      const lines = syntheticLines(1000, 5005);
      let throttled = 0;

      // Act
      const { row, expected } = await runScenario({
        name: 'Kinesis + DynamoDB throttling',
        lines,
        perSecond: 60,
        throttlingProxies: true,
        inject: async ({ proxies, waitForInView, fault, details, log }) => {
          await waitForInView(100);
          const at = Date.now();
          proxies!.kinesis.throttle(SHARE, WINDOW_MS);
          proxies!.dynamodb.throttle(SHARE, WINDOW_MS);
          await new Promise((r) => setTimeout(r, WINDOW_MS));
          fault(at);
          throttled = proxies!.kinesis.stats.throttled + proxies!.dynamodb.stats.throttled;
          details['throttledKinesis'] = proxies!.kinesis.stats.throttled;
          details['throttledDynamoDB'] = proxies!.dynamodb.stats.throttled;
          log(`throttled ${throttled} requests over ${WINDOW_MS} ms`);
        },
      });

      // Assess
      expect(throttled, 'requests answered with a throttling error').to.be.greaterThan(0);
      expect(row.inView).to.equal(expected.accepted.size);
      expect(row.lost).to.equal(0);
      expect(row.doubleCounted).to.equal(0);
    });
  });
});
