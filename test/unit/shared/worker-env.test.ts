import { expect } from 'chai';
import { ConfigError } from '../../../shared/errors.js';
import { ROLE_VARIABLES, WORKER_ROLES, buildWorkerEnv, parseWorkerEnv, requiredVariables } from '../../../shared/worker-env.js';

const complete: Record<string, string> = {
  INSIGHTS_STACK: 'dev',
  RAW_STREAM_NAME: 'raw',
  RESULTS_STREAM_NAME: 'results',
  RAW_HISTORY_STREAM_NAME: 'raw-history',
  RESULTS_HISTORY_STREAM_NAME: 'results-history',
  RAW_CONSUMER_ARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/raw/consumer/stream-reader:1764900000',
  RESULTS_CONSUMER_ARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/results/consumer/projector:1764900000',
  VIEW_TABLE_NAME: 'view',
  LEASE_TABLE_NAME: 'leases',
  INGEST_LEDGER_TABLE_NAME: 'ledger',
  CRAWLER_STATE_TABLE_NAME: 'state',
  REJECTS_TABLE_NAME: 'rejects',
  BATCH_STATE_TABLE_NAME: 'batch',
  RAW_ARCHIVE_BUCKET: 'archive',
  ANALYTICS_BUCKET: 'analytics',
  REDIS_URL: 'rediss://cache.example:6379',
  SCORING_QUEUE_NAME: 'dev-scoring',
  SYNC_QUEUE_NAME: 'dev-sync',
  WEBHOOK_JWKS_URL: 'https://broker.example/v1/webhook-keys',
  QUEUE_PREFIX: '{realtime-insights-dev}',
  BROKER_URL: 'https://broker.example',
  BROKER_API_KEY: 'secret-key',
  AUTH_ISSUER: 'https://issuer.example',
  AUTH_AUDIENCE: 'client-id',
  AUTH_JWKS_URL: 'https://issuer.example/.well-known/jwks.json',
};

describe('Module: worker-env', () => {
  describe('Function: parseWorkerEnv', () => {
    it('parses every role from a complete environment, applying typed defaults', () => {
      for (const role of WORKER_ROLES) {
        const env = parseWorkerEnv(role, complete);
        expect(Object.keys(env).sort()).to.deep.equal([...ROLE_VARIABLES[role]].sort());
      }
      const reader = parseWorkerEnv('stream-reader', complete);
      expect(reader.LEASE_FAILOVER_MS).to.equal(10_000);
      expect(reader.READ_IDLE_MS).to.equal(200);
      expect(reader.METRICS_ENABLED).to.equal(false);
    });

    it('names every missing variable at once', () => {
      // Act
      let error: unknown;
      try {
        parseWorkerEnv('crawler', { INSIGHTS_STACK: 'dev' });
      } catch (e) {
        error = e;
      }

      // Assess
      expect(error).to.be.instanceOf(ConfigError);
      const keys = (error as ConfigError).issues.map((i) => i.key).sort();
      expect(keys).to.deep.equal(requiredVariables('crawler').filter((k) => k !== 'INSIGHTS_STACK').sort());
      expect((error as Error).message).to.contain('BROKER_URL is required by the crawler role');
    });

    it('names malformed variables with what is allowed, never echoing a secret', () => {
      // Act
      let error: unknown;
      try {
        parseWorkerEnv('scorer', { ...complete, SCORER_CONCURRENCY: 'lots', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' });
      } catch (e) {
        error = e;
      }

      // Assess
      const message = (error as Error).message;
      expect(message).to.contain("SCORER_CONCURRENCY must be a whole number, got 'lots'");
      expect(message).to.contain('REDIS_URL must use redis: or rediss:');
      expect(message).to.contain('LOG_LEVEL must be one of');
      expect(() => parseWorkerEnv('scorer', { ...complete, REDIS_URL: 'not a url :token-123' }))
        .to.throw(ConfigError)
        .with.property('message')
        .that.contains('REDIS_URL must be a URL')
        .and.does.not.contain('token-123');
      expect(() => parseWorkerEnv('scorer', { ...complete, INFERENCE_THREADS: '-1' })).to.throw(/between 0 and 256/);
    });
  });

  describe('Function: buildWorkerEnv', () => {
    it("keeps only the role's variables", () => {
      const env = buildWorkerEnv('projector', complete);
      expect(env).to.not.have.property('BROKER_API_KEY');
      expect(env).to.have.property('VIEW_TABLE_NAME', 'view');
    });
  });
});
