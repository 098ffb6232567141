import { expect } from 'chai';
import { WORKER_ROLES } from '../../shared/worker-env.js';
import type { WorkerRoleName } from '../../shared/worker-env.js';
import { policyDocument, policyFindings, UNSCOPED_ACTIONS } from '../../infra/lib/iam.js';
import { keyPolicy, KEY_SERVICES } from '../../infra/lib/key-policy.js';
import {
  executionRoleStatements,
  firehoseStatements,
  regionOf,
  roleSecretArns,
  schedulerStatements,
  taskRoleStatements,
} from '../../infra/lib/permissions.js';
import { ComponentArgsError } from '../../infra/errors.js';
import { resourceNames } from '../../shared/catalog.js';
import { catalogArns, renderRoleStatements, roleGrants, SERVICE_ROLE_GRANTS, TASK_ROLE_GRANTS } from '../../shared/iam/index.js';
import { resourcesOf } from '../../shared/iam/policy.js';
import { grants } from './grant-lines.js';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';

/** A stack's ARNs whose last segment is the logical name, so assertions can name resources. */
const ARNS = catalogArns(
  { partition: 'aws', region: REGION, accountId: ACCOUNT },
  {
    streams: { raw: 'raw', results: 'results', rawHistory: 'rawHistory', resultsHistory: 'resultsHistory' },
    tables: { view: 'view', leases: 'leases', ingestLedger: 'ingestLedger', crawlerState: 'crawlerState', rejects: 'rejects', batchState: 'batchState' },
    buckets: { rawArchive: 'rawArchive', analytics: 'analytics' },
  },
  { keyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/project-key`, metricsNamespace: 'RealtimeInsights' },
);

const SECRETS = {
  BROKER_API_KEY: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:broker-api-key`,
  REDIS_AUTH_TOKEN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:redis-auth-token`,
};

describe('Function: taskRoleStatements', () => {
  for (const role of WORKER_ROLES) {
    it(`renders the ${role}'s grants of the IAM contract, within the policy rules and its stack's resources`, () => {
      // Act
      const statements = taskRoleStatements(role, ARNS);

      // Assess
      expect(statements).to.deep.equal(renderRoleStatements(role, ARNS));
      expect(statements.map((s) => s.Sid)).to.have.length(new Set(statements.map((s) => s.Sid)).size);
      expect(policyFindings(policyDocument(statements))).to.deep.equal([]);
      const stackArns = new Set<string>([ARNS.keyArn, ...Object.values(ARNS.streams), ...Object.values(ARNS.tables), ...Object.values(ARNS.buckets)]);
      for (const resource of statements.flatMap(resourcesOf)) {
        // A bucket's objects and a stream's registered consumers are the stack's resources too.
        const base = resource.startsWith('arn:aws:s3:::') ? resource.split('/')[0] : resource.replace(/\/consumer\/[^/]+$/, '');
        expect(resource === '*' || stackArns.has(base ?? ''), resource).to.equal(true);
      }
    });
  }

  it("renders every catalog name to the stack's own physical ARN", () => {
    // Prepare
    const names = resourceNames('dev', '123456789012');
    const arns = catalogArns({ partition: 'aws', region: REGION, accountId: ACCOUNT }, names, { keyArn: ARNS.keyArn, metricsNamespace: 'RealtimeInsights' });

    // Act
    const crawler = grants(renderRoleStatements('crawler', arns), (r) => r);

    // Assess
    expect(crawler).to.include(`kinesis:PutRecords on arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/realtime-insights-dev-raw`);
    expect(grants(renderRoleStatements('batch', arns), (r) => r)).to.include('s3:GetObject on arn:aws:s3:::realtime-insights-dev-raw-archive-123456789012/raw/*');
  });

  it("lets each consumer read both lanes' streams of its stage: the live ones by its registered consumer only", () => {
    // Act
    const polling = (stream: string) => WORKER_ROLES.filter((role) => grants(taskRoleStatements(role, ARNS)).includes(`kinesis:GetRecords on ${stream}`));
    const subscribing = (consumer: string) => WORKER_ROLES.filter((role) => grants(taskRoleStatements(role, ARNS)).includes(`kinesis:SubscribeToShard on ${consumer}`));
    const kinesis = (role: WorkerRoleName) => grants(taskRoleStatements(role, ARNS)).filter((g) => g.startsWith('kinesis:'));

    // Assess
    expect(subscribing('raw/consumer/stream-reader:*')).to.deep.equal(['stream-reader']);
    expect(subscribing('results/consumer/projector:*')).to.deep.equal(['projector']);
    expect(polling('raw'), 'the live lane is pushed: no one polls it').to.deep.equal([]);
    expect(polling('results'), 'the live lane is pushed: no one polls it').to.deep.equal([]);
    expect(polling('rawHistory')).to.deep.equal(['stream-reader']);
    expect(polling('resultsHistory')).to.deep.equal(['projector']);
    expect(kinesis('stream-reader')).to.deep.equal([
      'kinesis:GetRecords on rawHistory',
      'kinesis:GetShardIterator on rawHistory',
      'kinesis:ListShards on raw',
      'kinesis:ListShards on rawHistory',
      'kinesis:SubscribeToShard on raw/consumer/stream-reader:*',
    ]);
    expect(kinesis('projector')).to.deep.equal([
      'kinesis:GetRecords on resultsHistory',
      'kinesis:GetShardIterator on resultsHistory',
      'kinesis:ListShards on results',
      'kinesis:ListShards on resultsHistory',
      'kinesis:SubscribeToShard on results/consumer/projector:*',
    ]);
  });

  it('lets the crawler move its cursor and the shard consumers delete leases (the calls AWS denied before)', () => {
    expect(grants(taskRoleStatements('crawler', ARNS))).to.include('dynamodb:UpdateItem on crawlerState');
    for (const role of ['stream-reader', 'projector'] as const) expect(grants(taskRoleStatements(role, ARNS))).to.include('dynamodb:DeleteItem on leases');
  });

  it('keeps every role but the batch job and the API off the view, and the scorer off DynamoDB except rejects', () => {
    // Act
    const touching = (table: string) => WORKER_ROLES.filter((role) => grants(taskRoleStatements(role, ARNS)).some((g) => g.endsWith(` on ${table}`)));

    // Assess
    expect(touching('view')).to.have.members(['projector', 'api', 'batch']);
    expect(grants(taskRoleStatements('scorer', ARNS)).filter((g) => g.startsWith('dynamodb:'))).to.deep.equal(['dynamodb:PutItem on rejects']);
  });

  it('lets only the producers put to a stream, and lists S3 only under the prefixes the code reads', () => {
    // Act
    const putting = (stream: string) => WORKER_ROLES.filter((role) => grants(taskRoleStatements(role, ARNS)).includes(`kinesis:PutRecords on ${stream}`));
    const listing = taskRoleStatements('batch', ARNS).filter((s) => s.Action.includes('s3:ListBucket'));

    // Assess
    expect(putting('raw')).to.deep.equal(['crawler']);
    // The history lane: a sign-up's backfill from the crawler, a replay (a backfill too) from replay only.
    expect(putting('rawHistory')).to.have.members(['crawler', 'replay']);
    expect(putting('results')).to.deep.equal(['scorer']);
    expect(putting('resultsHistory')).to.deep.equal(['scorer']);
    expect(listing.map((s) => s.Condition)).to.deep.equal([{ StringLike: { 's3:prefix': 'raw/*' } }, { StringLike: { 's3:prefix': 'enriched/*' } }]);
  });

  it('grants no role PutMetricData: metrics are Embedded Metric Format log lines (workers/lib/metrics.ts)', () => {
    // Act
    const metricCalls = WORKER_ROLES.flatMap((role) => taskRoleStatements(role, ARNS)).filter((s) => s.Action.some((a) => a.startsWith('cloudwatch:')));

    // Assess
    expect(metricCalls).to.deep.equal([]);
  });

  it('adds the lease table to the Firehose stand-in only when rendered for local use', () => {
    expect(roleGrants('firehose').map((g) => g.sid)).to.not.include('ShardLeases');
    expect(roleGrants('firehose', { localStandIn: true }).map((g) => g.sid)).to.include('ShardLeases');
    expect(Object.keys(TASK_ROLE_GRANTS)).to.have.members([...WORKER_ROLES]);
    expect(Object.keys(SERVICE_ROLE_GRANTS)).to.deep.equal(['firehose']);
  });
});

describe('Function: executionRoleStatements', () => {
  const base = { keyArn: ARNS.keyArn, repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/workers`, logGroupArn: 'arn:aws:logs:x:1:log-group:/workers/w', secrets: SECRETS };

  it('lets each role read only its own secrets', () => {
    // Act
    const read = (role: WorkerRoleName) =>
      grants(executionRoleStatements(role, base))
        .filter((g) => g.startsWith('secretsmanager:'))
        .map((g) => g.split(' on ')[1]);

    // Assess
    // The fleet crawler takes its syncs from the BullMQ sync queue: Redis's token too.
    expect(read('crawler')).to.deep.equal(['broker-api-key', 'redis-auth-token']);
    expect(read('stream-reader')).to.deep.equal(['redis-auth-token']);
    expect(read('scorer')).to.deep.equal(['redis-auth-token']);
    expect(read('projector')).to.deep.equal([]);
  });

  it('pulls the image, writes logs and has no wildcard but the registry login', () => {
    // Act
    const statements = executionRoleStatements('projector', base);

    // Assess
    expect(grants(statements)).to.deep.equal(
      [
        'ecr:GetAuthorizationToken on *',
        'ecr:BatchCheckLayerAvailability on workers',
        'ecr:BatchGetImage on workers',
        'ecr:GetDownloadUrlForLayer on workers',
        'logs:CreateLogStream on w:log-stream:*',
        'logs:PutLogEvents on w:log-stream:*',
      ].sort(),
    );
    expect(policyFindings(policyDocument(statements))).to.deep.equal([]);
  });

  it('refuses to build a role whose secret has no ARN', () => {
    expect(() => roleSecretArns('crawler', {})).to.throw(ComponentArgsError, /BROKER_API_KEY/);
  });
});

describe('Function: firehoseStatements and schedulerStatements', () => {
  it("lets Firehose read both lanes' raw streams, write the archive and decrypt only through Kinesis and S3", () => {
    // Act
    const statements = firehoseStatements({ keyArn: ARNS.keyArn, rawStreamArns: { raw: ARNS.streams.raw, rawHistory: ARNS.streams.rawHistory }, bucketArn: ARNS.buckets.rawArchive, logStreamArn: 'arn:aws:logs:x:1:log-group:/f:log-stream:d' });

    // Assess
    const viaServices = statements.filter((s) => s.Action.some((a) => a.startsWith('kms:'))).map((s) => s.Condition?.['StringEquals']?.['kms:ViaService']);
    expect(viaServices).to.deep.equal([`kinesis.${REGION}.amazonaws.com`, `s3.${REGION}.amazonaws.com`]);
    const kinesis = grants(statements).filter((g) => g.startsWith('kinesis:'));
    expect(kinesis.every((g) => g.endsWith(' on raw') || g.endsWith(' on rawHistory'))).to.equal(true);
    expect(kinesis).to.include('kinesis:GetRecords on rawHistory');
    expect(policyFindings(policyDocument(statements))).to.deep.equal([]);
  });

  it('lets the scheduler run only the batch family on the cluster and pass only its roles to ECS', () => {
    // Act
    const statements = schedulerStatements({ taskDefinitionFamilyArn: 'arn:aws:ecs:x:1:task-definition/batch', clusterArn: 'arn:aws:ecs:x:1:cluster/c', passRoleArns: ['r1', 'r2'] });

    // Assess
    expect(statements.map((s) => s.Resource)).to.deep.equal(['arn:aws:ecs:x:1:task-definition/batch:*', ['r1', 'r2']]);
    expect(statements[1]?.Condition).to.deep.equal({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  it('lets the scheduler write its dead-letter queue, encrypting through SQS only', () => {
    // Act
    const statements = schedulerStatements({
      taskDefinitionFamilyArn: 'arn:aws:ecs:x:1:task-definition/batch',
      clusterArn: 'arn:aws:ecs:x:1:cluster/c',
      passRoleArns: ['r1'],
      deadLetter: { queueArn: `arn:aws:sqs:${REGION}:1:dlq`, keyArn: ARNS.keyArn },
    });

    // Assess
    expect(grants(statements)).to.include(`sqs:SendMessage on arn:aws:sqs:${REGION}:1:dlq`);
    const kms = statements.find((s) => s.Action.some((a) => a.startsWith('kms:')));
    expect(kms?.Resource).to.equal(ARNS.keyArn);
    expect(kms?.Condition?.['StringEquals']?.['kms:ViaService']).to.equal(`sqs.${REGION}.amazonaws.com`);
    expect(policyFindings(policyDocument(statements))).to.deep.equal([]);
  });
});

describe('Function: policyFindings', () => {
  it('flags wildcard actions and scoped actions on Resource "*", and lets denies and unscoped actions be', () => {
    // Prepare
    const doc = policyDocument([
      { Sid: 'All', Effect: 'Allow', Action: ['*'], Resource: 'arn:aws:s3:::b' },
      { Sid: 'Service', Effect: 'Allow', Action: ['dynamodb:*'], Resource: 'arn:aws:dynamodb:x:1:table/t' },
      { Sid: 'Star', Effect: 'Allow', Action: ['kinesis:PutRecords', ...UNSCOPED_ACTIONS], Resource: '*' },
      { Sid: 'Deny', Effect: 'Deny', Action: ['s3:*'], Resource: '*' },
    ]);

    // Act
    const findings = policyFindings(doc);

    // Assess
    expect(findings.map((f) => f.sid)).to.deep.equal(['All', 'Service', 'Star']);
    expect(findings[2]?.problem).to.include('kinesis:PutRecords').and.not.include('PutMetricData');
  });
});

describe('Function: keyPolicy', () => {
  it('lets the account administer the key and use it only through the project services', () => {
    // Act
    const policy = keyPolicy({ accountId: ACCOUNT, region: REGION, partition: 'aws' });

    // Assess
    const use = policy.Statement.find((s) => s.Sid === 'UseThroughProjectServices');
    expect(use?.Condition?.['StringEquals']?.['kms:ViaService']).to.deep.equal(KEY_SERVICES.map((s) => `${s}.${REGION}.amazonaws.com`));
    expect(policy.Statement.find((s) => s.Sid === 'AdministerKey')?.Action.filter((a) => /Encrypt|Decrypt|GenerateDataKey/.test(a))).to.deep.equal([]);
    expect(policyFindings(policy, { resourceStarMeansSelf: true })).to.deep.equal([]);
    expect(KEY_SERVICES).to.include.members(['kinesis', 'firehose', 's3', 'dynamodb', 'elasticache', 'secretsmanager']);
  });

  it('lets CloudWatch Logs use the key only for this account and region', () => {
    // Act
    const logs = keyPolicy({ accountId: ACCOUNT, region: REGION, partition: 'aws' }).Statement.find((s) => s.Sid === 'CloudWatchLogs');

    // Assess
    expect(logs?.Principal).to.deep.equal({ Service: `logs.${REGION}.amazonaws.com` });
    expect(logs?.Condition?.['ArnLike']?.['kms:EncryptionContext:aws:logs:arn']).to.equal(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*`);
  });
});

describe('Function: regionOf', () => {
  it('reads the region of a regional ARN and refuses a global one', () => {
    expect(regionOf(ARNS.keyArn)).to.equal(REGION);
    expect(() => regionOf('arn:aws:s3:::bucket')).to.throw(ComponentArgsError);
  });
});
