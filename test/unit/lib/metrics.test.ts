import { expect } from 'chai';
import { MetricsEmitter, MetricsOptionError, MetricUnit, PeriodicMetric } from '../../../workers/lib/metrics.js';

interface EmfLine {
  readonly _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

/** An emitter whose lines are kept, parsed, for the test to read. */
function capturing(options: { enabled?: boolean; dimensions?: Record<string, string> } = {}): { metrics: MetricsEmitter; lines: () => EmfLine[]; raw: string[] } {
  const raw: string[] = [];
  const metrics = new MetricsEmitter({
    enabled: options.enabled ?? true,
    namespace: 'RealtimeInsights',
    dimensions: options.dimensions ?? { Stack: 'test' },
    write: (line) => raw.push(line),
    now: () => 1_700_000_000_000,
  });
  return {
    metrics,
    raw,
    lines: () => raw.map((line) => JSON.parse(line) as EmfLine),
  };
}

describe('Class: MetricsEmitter', () => {
  describe('Method: put', () => {
    it('writes one EMF line with the namespace, the dimension set and each value under its name', () => {
      // Prepare
      const { metrics, lines, raw } = capturing();

      // Act
      metrics.put([
        { name: 'ScoringJobsFailed', value: 2 },
        { name: 'ScoringBacklog', value: 40, unit: MetricUnit.Count },
      ]);

      // Assess
      expect(raw).to.have.length(1);
      expect(raw[0]).not.to.include('\n');
      expect(lines()[0]).to.deep.equal({
        _aws: {
          Timestamp: 1_700_000_000_000,
          CloudWatchMetrics: [
            {
              Namespace: 'RealtimeInsights',
              Dimensions: [['Stack']],
              Metrics: [
                { Name: 'ScoringJobsFailed', Unit: 'Count' },
                { Name: 'ScoringBacklog', Unit: 'Count' },
              ],
            },
          ],
        },
        Stack: 'test',
        ScoringJobsFailed: 2,
        ScoringBacklog: 40,
      });
    });

    it('adds dimensions with withDimensions, keeping the ones it had', () => {
      // Prepare
      const { metrics, lines } = capturing();

      // Act
      metrics.withDimensions({ Role: 'projector' }).put([{ name: 'MillisBehindLatest', value: 1200, unit: MetricUnit.Milliseconds }]);

      // Assess
      expect(lines()[0]?._aws.CloudWatchMetrics[0]?.Dimensions).to.deep.equal([['Stack', 'Role']]);
      expect(lines()[0]?._aws.CloudWatchMetrics[0]?.Metrics).to.deep.equal([{ Name: 'MillisBehindLatest', Unit: 'Milliseconds' }]);
      expect(lines()[0]).to.include({ Stack: 'test', Role: 'projector', MillisBehindLatest: 1200 });
    });

    it('leaves out values CloudWatch would refuse (not finite, or named like a dimension) and writes the rest', () => {
      // Prepare
      const { metrics, lines } = capturing();

      // Act
      metrics.put([
        { name: 'Lag', value: Number.NaN },
        { name: 'Stack', value: 1 },
        { name: 'Good', value: 0 },
      ]);

      // Assess
      expect(lines()).to.have.length(1);
      expect(lines()[0]?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).to.deep.equal(['Good']);
      expect(lines()[0]).to.include({ Good: 0, Stack: 'test' });
    });

    it('splits more than 100 values into lines of at most 100 metrics (the EMF limit)', () => {
      // Prepare
      const { metrics, lines } = capturing();

      // Act
      metrics.put(Array.from({ length: 150 }, (_, i) => ({ name: `M${i}`, value: i })));

      // Assess
      expect(lines().map((l) => l._aws.CloudWatchMetrics[0]?.Metrics.length)).to.deep.equal([100, 50]);
      expect(lines()[1]).to.include({ M149: 149 });
    });

    it('writes no line when disabled', () => {
      // Prepare
      const { metrics, raw } = capturing({ enabled: false });

      // Act
      metrics.put([{ name: 'ScoringBacklog', value: 3 }]);

      // Assess
      expect(raw).to.deep.equal([]);
    });
  });

  describe('Method: constructor', () => {
    it('refuses an empty namespace or dimension value, naming the option', () => {
      // Act
      const noNamespace = () => new MetricsEmitter({ enabled: true, namespace: '', dimensions: { Stack: 'x' } });
      const emptyStack = () => new MetricsEmitter({ enabled: true, namespace: 'N', dimensions: { Stack: '' } });

      // Assess
      expect(noNamespace).to.throw(MetricsOptionError, /namespace/);
      expect(emptyStack).to.throw(MetricsOptionError, /dimensions\.Stack/);
    });
  });
});

describe('Class: PeriodicMetric', () => {
  describe('Method: close', () => {
    it('takes and writes a last reading, so a count made after the last interval is not lost', async () => {
      // Prepare
      const { metrics, lines } = capturing();
      let failedSinceLastReading = 0;
      const take = (): number => {
        const count = failedSinceLastReading;
        failedSinceLastReading = 0;
        return count;
      };
      const failed = new PeriodicMetric({ metrics, name: 'ScoringJobsFailed', measure: take, intervalMs: 60_000 });
      failed.start();
      failedSinceLastReading = 3; // counted after the first reading, long before the next interval

      // Act
      await failed.close();

      // Assess
      expect(lines().map((l) => l['ScoringJobsFailed'])).to.deep.equal([0, 3]);
    });

    it('is idempotent: a second close returns the same promise and writes nothing more', async () => {
      // Prepare
      const { metrics, raw } = capturing();
      const gauge = new PeriodicMetric({ metrics, name: 'ScoringBacklog', measure: async () => 7 });
      gauge.start();

      // Act
      const first = gauge.close();
      const second = gauge.close();
      await first;

      // Assess
      expect(second).to.equal(first);
      expect(raw).to.have.length(2);
      expect(gauge.lastValue).to.equal(7);
    });

    it('survives a failing reading and still closes', async () => {
      // Prepare
      const { metrics, raw } = capturing();
      let readings = 0;
      const gauge = new PeriodicMetric({
        metrics,
        name: 'ScoringBacklog',
        measure: async () => {
          readings += 1;
          throw new Error('redis down');
        },
      });

      // Act
      gauge.start();
      await gauge.close();

      // Assess
      expect(readings).to.equal(2);
      expect(raw).to.deep.equal([]);
    });
  });

  describe('Method: constructor', () => {
    it('refuses an interval that is not a positive whole number of ms', () => {
      // Prepare
      const { metrics } = capturing();

      // Act
      const build = () => new PeriodicMetric({ metrics, name: 'X', measure: () => 0, intervalMs: 0 });

      // Assess
      expect(build).to.throw(MetricsOptionError, /intervalMs/);
    });
  });
});
