import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { GaugePublisher, MetricsOptionError } from '../../../workers/lib/metrics.js';
import { BACKLOG_STATES, scoringBacklog } from '../../../workers/scorer/backlog.js';

describe('Class: GaugePublisher', () => {
  const base = { namespace: 'RealtimeInsights', metricName: 'ScoringBacklog', stack: 'test' } as const;

  describe('Method: publishOnce', () => {
    it('puts the measured value with dimension Stack when enabled', async () => {
      // Prepare
      const cloudwatch = new CloudWatchClient({ region: 'us-east-1' });
      const mock = mockClient(cloudwatch);
      mock.on(PutMetricDataCommand).resolves({});
      const publisher = new GaugePublisher({ ...base, enabled: true, cloudwatch, measure: async () => 7 });

      // Act
      const value = await publisher.publishOnce();

      // Assess
      const calls = mock.commandCalls(PutMetricDataCommand);
      expect(value).to.equal(7);
      expect(calls).to.have.length(1);
      const input = calls[0]?.args[0].input;
      expect(input?.Namespace).to.equal('RealtimeInsights');
      expect(input?.MetricData?.[0]).to.include({ MetricName: 'ScoringBacklog', Value: 7, Unit: 'Count' });
      expect(input?.MetricData?.[0]?.Dimensions).to.deep.equal([{ Name: 'Stack', Value: 'test' }]);
      mock.restore();
    });

    it('only measures (and logs) when disabled, with no client at all', async () => {
      // Prepare
      const publisher = new GaugePublisher({ ...base, enabled: false, measure: async () => 3 });

      // Act
      const value = await publisher.publishOnce();

      // Assess
      expect(value).to.equal(3);
      expect(publisher.lastValue).to.equal(3);
    });
  });

  describe('Method: start', () => {
    it('publishes at once and survives a failing publish; close is idempotent', async () => {
      // Prepare
      const cloudwatch = new CloudWatchClient({ region: 'us-east-1' });
      const mock = mockClient(cloudwatch);
      mock.on(PutMetricDataCommand).rejects(new Error('throttled'));
      let measured = 0;
      const publisher = new GaugePublisher({ ...base, enabled: true, cloudwatch, intervalMs: 60_000, measure: async () => ++measured });

      // Act
      publisher.start();
      const first = publisher.close();
      const second = publisher.close();
      await first;

      // Assess
      expect(second).to.equal(first);
      expect(measured).to.equal(1);
      expect(mock.commandCalls(PutMetricDataCommand)).to.have.length(1);
      mock.restore();
    });
  });

  describe('Method: constructor', () => {
    it('refuses to publish without a client, naming the option', () => {
      // Act
      const build = () => new GaugePublisher({ ...base, enabled: true, measure: async () => 0 });

      // Assess
      expect(build).to.throw(MetricsOptionError, /cloudwatch/);
    });
  });
});

describe('Function: scoringBacklog', () => {
  it('adds waiting, prioritized, delayed and active jobs', async () => {
    // Prepare
    const counts: Record<string, number> = { waiting: 5, prioritized: 1, delayed: 2, active: 3, completed: 100, failed: 9 };
    const queue = { getJobCounts: async (...types: string[]) => Object.fromEntries(types.map((t) => [t, counts[t] ?? 0])) };

    // Act
    const backlog = await scoringBacklog(queue);

    // Assess
    expect(BACKLOG_STATES).to.not.include('completed');
    expect(backlog).to.equal(11);
  });
});
