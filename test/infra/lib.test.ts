import { expect } from 'chai';
import {
  ENRICHED_COLUMNS,
  ENRICHED_PARTITIONS,
  ENRICHED_PREFIX,
  RAW_ARCHIVE_PARTITIONS,
  RAW_ARCHIVE_PREFIX,
  partitionValue,
} from '../../shared/analytics-schema.js';
import { ConfigError } from '../../shared/errors.js';
import { WORKER_ROLES } from '../../shared/worker-env.js';
import type { WorkerRoleName } from '../../shared/worker-env.js';
import type { ScalingConfig, StreamsConfig } from '../../infra/config.js';
import { redisFamily, replicationGroupId } from '../../infra/components/queue.js';
import { keyAttributes } from '../../infra/components/tables.js';
import { tlsOnlyStatements } from '../../infra/components/secure-bucket.js';
import { PIPELINE_METRICS, dashboardBody, dashboardUrl } from '../../infra/lib/dashboard.js';
import { ComponentArgsError } from '../../infra/errors.js';
import { glueColumns, glueDatabaseName, locationTemplate, projectionParameters } from '../../infra/lib/glue.js';
import { renderTrust, serviceTrust } from '../../infra/lib/iam.js';
import { backlogPerTaskMetrics, consumerBounds, readerCapacity, serviceBounds, serviceResourceId } from '../../infra/lib/scaling.js';
import { SHUTDOWN_MARGIN_SECONDS, containerEnvironment, parseContainerEnvironment, stackWorkerValues } from '../../infra/lib/task-environment.js';
import type { StackValues } from '../../infra/lib/task-environment.js';
import { TABLES } from '../../shared/catalog.js';

const VALUES: StackValues = {
  stack: 'dev',
  logLevel: 'info',
  stopTimeoutSeconds: 60,
  healthPort: 8080,
  resources: {
    streams: { raw: 'raw-stream', results: 'results-stream', rawHistory: 'raw-history-stream', resultsHistory: 'results-history-stream' },
    tables: { view: 'view', leases: 'leases', ingestLedger: 'ledger', crawlerState: 'cursor', rejects: 'rejects', batchState: 'batch' },
    buckets: { rawArchive: 'archive', analytics: 'analytics' },
    queues: { scoring: 'dev-scoring', sync: 'dev-sync' },
    queuePrefix: '{realtime-insights-dev}',
  },
  consumerArns: {
    rawReader: 'arn:aws:kinesis:eu-west-1:123456789012:stream/raw-stream/consumer/stream-reader:1764900000',
    resultsProjector: 'arn:aws:kinesis:eu-west-1:123456789012:stream/results-stream/consumer/projector:1764900000',
  },
  redisUrl: 'rediss://redis.example:6379',
  brokerUrl: 'https://broker.example',
  metricsNamespace: 'RealtimeInsights',
  backlogMetricName: 'ScoringBacklog',
  auth: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example', audience: 'client-id', jwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example/.well-known/jwks.json', userClaim: 'sub' },
};
const SECRET_ARNS = { BROKER_API_KEY: 'arn:broker', REDIS_AUTH_TOKEN: 'arn:redis' };

describe('Function: containerEnvironment', () => {
  it('gives the scorer the stack\'s results stream, queue and Redis, and its auth token by ARN only', () => {
    // Act
    const container = containerEnvironment('scorer', stackWorkerValues(VALUES), SECRET_ARNS);
    const seen = parseContainerEnvironment('scorer', container);

    // Assess: what the scorer parses at start-up is the stack's, and the secret never travels as a value
    expect(seen).to.include({
      INSIGHTS_STACK: 'dev',
      RESULTS_STREAM_NAME: 'results-stream',
      REJECTS_TABLE_NAME: 'rejects',
      REDIS_URL: 'rediss://redis.example:6379',
      SCORING_QUEUE_NAME: 'dev-scoring',
      QUEUE_PREFIX: '{realtime-insights-dev}',
      BACKLOG_METRIC_NAME: 'ScoringBacklog',
      SHUTDOWN_TIMEOUT_MS: 55_000,
    });
    expect(container.secrets).to.deep.equal([{ name: 'REDIS_AUTH_TOKEN', valueFrom: 'arn:redis' }]);
    expect(container.environment.map((e) => e.name)).to.not.include('REDIS_AUTH_TOKEN');
  });

  it('gives the crawler its broker, raw stream and the sync queue, and no scoring queue, view or archive of other roles', () => {
    // Act
    const container = containerEnvironment('crawler', stackWorkerValues(VALUES), SECRET_ARNS);
    const names = container.environment.map((e) => e.name);

    // Assess
    expect(parseContainerEnvironment('crawler', container)).to.include({ RAW_STREAM_NAME: 'raw-stream', BROKER_URL: 'https://broker.example', INGEST_LEDGER_TABLE_NAME: 'ledger', CRAWLER_STATE_TABLE_NAME: 'cursor' });
    expect(parseContainerEnvironment('crawler', container)).to.include({ SYNC_QUEUE_NAME: 'dev-sync', REDIS_URL: 'rediss://redis.example:6379' });
    expect(container.secrets).to.deep.equal([
      { name: 'BROKER_API_KEY', valueFrom: 'arn:broker' },
      { name: 'REDIS_AUTH_TOKEN', valueFrom: 'arn:redis' },
    ]);
    expect(names.filter((n) => ['SCORING_QUEUE_NAME', 'VIEW_TABLE_NAME', 'RESULTS_STREAM_NAME', 'RAW_ARCHIVE_BUCKET', 'REDIS_AUTH_TOKEN'].includes(n))).to.deep.equal([]);
  });

  it("gives replay the archive and the history lane's raw stream only: no live stream, no tables, no queue, no broker", () => {
    // Act
    const container = containerEnvironment('replay', stackWorkerValues(VALUES), SECRET_ARNS);

    // Assess
    expect(parseContainerEnvironment('replay', container)).to.include({ RAW_ARCHIVE_BUCKET: 'archive', RAW_HISTORY_STREAM_NAME: 'raw-history-stream' });
    expect(container.environment.map((e) => e.name)).to.not.include('RAW_STREAM_NAME');
    expect(container.secrets).to.deep.equal([]);
    expect(container.environment.map((e) => e.name).filter((n) => n.endsWith('_TABLE_NAME') || n.startsWith('REDIS') || n.startsWith('BROKER'))).to.deep.equal([]);
  });

  it("names both lanes' streams to the roles that use them", () => {
    // Act
    const env = (role: WorkerRoleName) => parseContainerEnvironment(role, containerEnvironment(role, stackWorkerValues(VALUES), SECRET_ARNS)) as Record<string, unknown>;

    // Assess
    for (const role of ['crawler', 'stream-reader'] as const) expect(env(role)).to.include({ RAW_STREAM_NAME: 'raw-stream', RAW_HISTORY_STREAM_NAME: 'raw-history-stream' });
    for (const role of ['scorer', 'projector'] as const) expect(env(role)).to.include({ RESULTS_STREAM_NAME: 'results-stream', RESULTS_HISTORY_STREAM_NAME: 'results-history-stream' });
  });

  it('gives the stream-reader and the projector each its registered stream consumer, and no other role any', () => {
    // Act
    const env = (role: WorkerRoleName) => parseContainerEnvironment(role, containerEnvironment(role, stackWorkerValues(VALUES), SECRET_ARNS)) as Record<string, unknown>;

    // Assess
    expect(env('stream-reader')).to.include({ RAW_CONSUMER_ARN: VALUES.consumerArns.rawReader });
    expect(Object.keys(env('stream-reader')).filter((k) => k.endsWith('_CONSUMER_ARN'))).to.deep.equal(['RAW_CONSUMER_ARN']);
    expect(env('projector')).to.include({ RESULTS_CONSUMER_ARN: VALUES.consumerArns.resultsProjector });
    expect(Object.keys(env('projector')).filter((k) => k.endsWith('_CONSUMER_ARN'))).to.deep.equal(['RESULTS_CONSUMER_ARN']);
    for (const role of ['crawler', 'scorer', 'api', 'batch'] as const) expect(Object.keys(env(role)).filter((k) => k.endsWith('_CONSUMER_ARN'))).to.deep.equal([]);
  });

  it('turns metrics on for every role (EMF lines: the lag, backlog and alarm counts), and drains before the stop timeout', () => {
    // Act
    const enabled = WORKER_ROLES.filter((role) => parseContainerEnvironment(role, containerEnvironment(role, stackWorkerValues(VALUES), SECRET_ARNS)).METRICS_ENABLED);
    const shutdown = stackWorkerValues(VALUES).SHUTDOWN_TIMEOUT_MS;

    // Assess
    expect(enabled).to.deep.equal([...WORKER_ROLES]);
    expect(shutdown).to.equal((VALUES.stopTimeoutSeconds - SHUTDOWN_MARGIN_SECONDS) * 1000);
  });

  it('refuses a secret passed as a plain value, a secret without an ARN, and a missing variable', () => {
    expect(() => containerEnvironment('crawler', { ...stackWorkerValues(VALUES), BROKER_API_KEY: 'oops' }, SECRET_ARNS)).to.throw(ComponentArgsError, /is a secret/);
    expect(() => containerEnvironment('crawler', stackWorkerValues(VALUES), {})).to.throw(ComponentArgsError, /BROKER_API_KEY/);
    expect(() => containerEnvironment('crawler', { ...stackWorkerValues(VALUES), BROKER_URL: undefined }, SECRET_ARNS)).to.throw(ConfigError, /BROKER_URL/);
  });
});

describe('Function: scaling bounds', () => {
  const scaling: ScalingConfig = {
    streamReader: { min: 1, max: 6, iteratorAgeMs: 5000 },
    scorer: { min: 2, max: 9, backlogPerTask: 20, cpuPercent: 60 },
    projector: { min: 1, max: 6, iteratorAgeMs: 5000 },
  };

  it('runs one reader per raw shard, held within the bounds', () => {
    expect(readerCapacity({ min: 1, max: 6 }, 4)).to.deep.equal({ min: 4, max: 4 });
    expect(readerCapacity({ min: 1, max: 6 }, 10)).to.deep.equal({ min: 6, max: 6 });
    expect(readerCapacity({ min: 3, max: 6 }, 1)).to.deep.equal({ min: 3, max: 3 });
    expect(readerCapacity({ min: 1, max: 6 }, undefined)).to.deep.equal({ min: 1, max: 6 });
  });

  it('never scales a consumer past its stream shard count', () => {
    expect(consumerBounds({ min: 2, max: 8 }, 4)).to.deep.equal({ min: 2, max: 4 });
    expect(consumerBounds({ min: 3, max: 8 }, 1)).to.deep.equal({ min: 1, max: 1 });
    expect(consumerBounds({ min: 2, max: 8 }, undefined)).to.deep.equal({ min: 2, max: 8 });
  });

  it("sizes each consumer role on the busier lane's shards: a task holds a lease on both lanes' streams at once", () => {
    // Prepare: more history than live shards on the raw stage, fewer on the results stage
    const streams: StreamsConfig = { mode: 'provisioned', rawShards: 2, resultsShards: 3, rawHistoryShards: 4, resultsHistoryShards: 1, retentionHours: 24 };

    // Act
    const bounds = serviceBounds(scaling, streams);

    // Assess
    expect(bounds['stream-reader']).to.deep.equal({ min: 4, max: 4 });
    expect(bounds.projector).to.deep.equal({ min: 1, max: 3 });
    expect(serviceBounds(scaling, { ...streams, mode: 'on-demand', rawShards: undefined, rawHistoryShards: undefined })['stream-reader']).to.deep.equal(scaling.streamReader);
  });

  it('pins the crawler to one task and gives the scorer its configured bounds', () => {
    // Prepare
    const streams: StreamsConfig = { mode: 'provisioned', rawShards: 2, resultsShards: 3, rawHistoryShards: 1, resultsHistoryShards: 1, retentionHours: 24 };

    // Act
    const bounds = serviceBounds(scaling, streams);

    // Assess
    expect(bounds.crawler).to.deep.equal({ min: 1, max: 1 });
    expect(bounds.scorer).to.deep.equal({ min: scaling.scorer.min, max: scaling.scorer.max });
    expect(bounds['stream-reader']).to.deep.equal({ min: 2, max: 2 });
    expect(bounds.projector).to.deep.equal({ min: 1, max: 3 });
  });

  it('divides the published backlog by the running scorer tasks of this stack', () => {
    // Act
    const metrics = backlogPerTaskMetrics({ namespace: 'NS', metricName: 'Backlog', stack: 'dev', clusterName: 'c', serviceName: 's' });

    // Assess
    expect(metrics.filter((m) => m.returnData).map((m) => m.expression)).to.deep.equal(['backlog / tasks']);
    expect(metrics[0]?.metricStat?.metric.dimensions).to.deep.equal([{ name: 'Stack', value: 'dev' }]);
    expect(serviceResourceId('c', 's')).to.equal('service/c/s');
  });
});

describe('Function: Glue helpers', () => {
  it('projects the zero-padded partitions of the shared schema', () => {
    // Act
    const parameters = projectionParameters('bucket', RAW_ARCHIVE_PREFIX, RAW_ARCHIVE_PARTITIONS);

    // Assess
    expect(parameters['projection.enabled']).to.equal('true');
    expect(parameters['storage.location.template']).to.equal('s3://bucket/raw/year=${year}/month=${month}/day=${day}/hour=${hour}/');
    expect(parameters['projection.month.digits']).to.equal('2');
    expect(parameters['projection.month.range']).to.equal('1,12');
    expect(locationTemplate('b', ENRICHED_PREFIX, ENRICHED_PARTITIONS)).to.equal('s3://b/enriched/year=${year}/month=${month}/day=${day}/');
  });

  it('keeps column order and types, and makes a database name Glue accepts', () => {
    expect(glueColumns(ENRICHED_COLUMNS).map((c) => c.name)).to.deep.equal(ENRICHED_COLUMNS.map((c) => c.name));
    expect(glueDatabaseName('realtime-insights', 'dev-2')).to.equal('realtime_insights_dev_2');
  });
});

describe('Module: analytics-schema', () => {
  it('lists the enriched columns the batch job writes, money in minor units', () => {
    // Act
    const types = Object.fromEntries(ENRICHED_COLUMNS.map((c) => [c.name, c.glueType]));

    // Assess
    expect(types).to.include({ transaction_id: 'string', booked_at: 'timestamp', local_date: 'date', weekday: 'int', amount_minor: 'bigint', anomaly_score: 'double', is_anomaly: 'boolean' });
    expect(new Set(ENRICHED_COLUMNS.map((c) => c.name)).size).to.equal(ENRICHED_COLUMNS.length);
    expect(ENRICHED_PARTITIONS.map((p) => [p.name, p.glueType])).to.deep.equal([
      ['year', 'string'],
      ['month', 'string'],
      ['day', 'string'],
    ]);
  });

  it('spells partition values zero-padded and refuses values out of range', () => {
    // Prepare
    const [year, month] = ENRICHED_PARTITIONS;

    // Assess
    expect(partitionValue(month!, 3)).to.equal('03');
    expect(partitionValue(year!, 2026)).to.equal('2026');
    expect(() => partitionValue(month!, 13)).to.throw(RangeError, /1\.\.12/);
  });
});

describe('Function: small component helpers', () => {
  it('derives the Redis parameter family and a replication group id within 40 characters', () => {
    expect(redisFamily('7.1')).to.equal('redis7');
    expect(replicationGroupId('dev')).to.equal('ri-dev-queue');
    expect(replicationGroupId('a'.repeat(20)).length).to.be.at.most(40);
  });

  it('declares the catalog key attributes of each table', () => {
    expect(keyAttributes(TABLES.leases)).to.deep.equal([
      { name: 'application', type: 'S' },
      { name: 'leaseKey', type: 'S' },
    ]);
  });

  it('denies plain HTTP and old TLS on the bucket and its objects', () => {
    // Act
    const statements = tlsOnlyStatements('arn:aws:s3:::b');

    // Assess
    expect(statements.every((s) => s.Effect === 'Deny')).to.equal(true);
    expect(statements.map((s) => Object.keys(s.Condition ?? {})[0])).to.deep.equal(['Bool', 'NumericLessThan']);
  });

  it('renders trust policies without a Resource element', () => {
    // Act
    const trust = JSON.parse(renderTrust(serviceTrust('ecs-tasks.amazonaws.com', '1'))) as { Statement: object[] };

    // Assess
    expect(trust.Statement.every((s) => !('Resource' in s))).to.equal(true);
  });

  it('builds a dashboard of the data plane, plus compute widgets when there is compute', () => {
    // Prepare
    const args = { stack: 'dev', region: 'eu-west-1', streams: { raw: 'r', results: 's', rawHistory: 'rh', resultsHistory: 'sh' }, deliveryStreams: { raw: 'f', rawHistory: 'fh' }, tables: { view: 'v', rejects: 'x' }, namespace: 'NS', backlogMetric: 'B' };

    // Act
    const dataPlane = dashboardBody(args).widgets.length;
    const full = dashboardBody({ ...args, compute: { cluster: 'c', services: ['a', 'b'], redisNodes: ['q-001', 'q-002'] } });

    // Assess
    expect(full.widgets.length).to.be.greaterThan(dataPlane);
    // The Redis widget reads every node (any may be the primary after a failover), shown as their maximum.
    const redis = JSON.stringify(full.widgets.find((w) => w.properties.title.startsWith('Redis')));
    for (const node of ['q-001', 'q-002']) expect(redis).to.include(`"${node}"`);
    expect(redis).to.include('MAX([mem0, mem1])');
    expect(JSON.stringify(full)).to.include(PIPELINE_METRICS.jobsStalled).and.to.include(PIPELINE_METRICS.millisBehindLatest).and.to.include('ReadProvisionedThroughputExceeded');
    // Both lanes are on it: the history lane's streams and delivery stream too.
    for (const name of ['"rh"', '"sh"', '"fh"']) expect(JSON.stringify(full)).to.include(name);
    expect(dashboardUrl('eu-west-1', 'd')).to.equal('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/d');
  });
});
