import { expect } from 'chai';
import { ATHENA_RESULTS_PREFIX, ENRICHED_COLUMNS, ENRICHED_PARTITIONS, RAW_ARCHIVE_COLUMNS, RAW_ARCHIVE_PARTITIONS } from '../../shared/analytics-schema.js';
import { deliveryStreamName } from '../../shared/archive/archive-key.js';
import { QUEUES, STREAMS, TABLES, resourceNames } from '../../shared/catalog.js';
import { catalogArns, renderRoleStatements } from '../../shared/iam/index.js';
import { WORKER_VARIABLES, resourceVariables, secretVariables } from '../../shared/worker-env.js';
import type { WorkerRoleName } from '../../shared/worker-env.js';
import { SCORER_MAX_OLD_SPACE_MIB } from '../../shared/worker-node-options.js';
import { SERVICE_ROLES, TASK_ROLES } from '../../infra/config.js';
import type { StackConfig } from '../../infra/config.js';
import { INTERFACE_ENDPOINTS } from '../../infra/components/network.js';
import { ARCHIVE_PREFIX } from '../../infra/components/raw-archive.js';
import { ATHENA_RESULTS_EXPIRE_DAYS } from '../../infra/components/analytics.js';
import { SHARD_LEVEL_METRICS } from '../../infra/components/streams.js';
import { HEALTH_PORT, healthCheckCommand, workerCommand } from '../../infra/components/worker-task.js';
import { policyFindings } from '../../infra/lib/iam.js';
import type { Statement } from '../../infra/lib/iam.js';
import { parseContainerEnvironment } from '../../infra/lib/task-environment.js';
import type { ContainerEnvironment } from '../../infra/lib/task-environment.js';
import { SECRET_MARKER } from '../../infra/planner/mock-stack.js';
import type { PlannedResource } from '../../infra/planner/mock-stack.js';
import type { Plan } from '../../infra/planner/plan.js';
import { STACKS, json, named, ofType, planned, stackConfig } from './helpers.js';
import type { StackName } from './helpers.js';
import { grants } from './grant-lines.js';

const T = {
  key: 'aws:kms/key:Key',
  stream: 'aws:kinesis/stream:Stream',
  streamConsumer: 'aws:kinesis/streamConsumer:StreamConsumer',
  table: 'aws:dynamodb/table:Table',
  bucket: 'aws:s3/bucket:Bucket',
  sse: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  publicAccess: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  secret: 'aws:secretsmanager/secret:Secret',
  secretVersion: 'aws:secretsmanager/secretVersion:SecretVersion',
  topic: 'aws:sns/topic:Topic',
  redis: 'aws:elasticache/replicationGroup:ReplicationGroup',
  parameters: 'aws:elasticache/parameterGroup:ParameterGroup',
  firehose: 'aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  defaultSecurityGroup: 'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup',
  egressRule: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
  endpoint: 'aws:ec2/vpcEndpoint:VpcEndpoint',
  vpc: 'aws:ec2/vpc:Vpc',
  subnet: 'aws:ec2/subnet:Subnet',
  routeTable: 'aws:ec2/routeTable:RouteTable',
  natGateway: 'aws:ec2/natGateway:NatGateway',
  internetGateway: 'aws:ec2/internetGateway:InternetGateway',
  flowLog: 'aws:ec2/flowLog:FlowLog',
  taskDefinition: 'aws:ecs/taskDefinition:TaskDefinition',
  service: 'aws:ecs/service:Service',
  target: 'aws:appautoscaling/target:Target',
  scalingPolicy: 'aws:appautoscaling/policy:Policy',
  glueTable: 'aws:glue/catalogTable:CatalogTable',
  workgroup: 'aws:athena/workgroup:Workgroup',
  schedule: 'aws:scheduler/schedule:Schedule',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  sqsQueue: 'aws:sqs/queue:Queue',
} as const;

const COMPUTE_STACKS = ['dev', 'prod'] as const;

type Container = ContainerEnvironment & { name: string; command: string[]; stopTimeout: number; healthCheck?: { command: string[] } };

function keyArnOf(plan: Plan): string {
  const arn = plan.outputs['keyArn'];
  expect(arn, 'the stack exports the project key').to.be.a('string');
  return arn as string;
}

function statementsOf(policy: PlannedResource): Statement[] {
  return json<{ Statement: Statement[] }>(policy.inputs['policy']).Statement;
}

function container(plan: Plan, role: string): Container {
  const definition = named(plan.resources, T.taskDefinition, `workers-${role}-task`);
  const containers = json<Container[]>(definition.inputs['containerDefinitions']);
  expect(containers).to.have.length(1);
  return containers[0] as Container;
}

/** Physical ARNs of the plan back to the logical names of the catalog. */
function logicalLabels(stack: StackName, plan: Plan): (resource: string) => string {
  const names = resourceNames(stack);
  const buckets = plan.outputs['buckets'] as { rawArchive: string; analytics: string };
  const byName = new Map<string, string>([
    ...Object.entries(names.streams).map(([logical, physical]) => [physical, logical] as [string, string]),
    ...Object.entries(names.tables).map(([logical, physical]) => [physical, logical] as [string, string]),
    [buckets.rawArchive, 'rawArchive'],
    [buckets.analytics, 'analytics'],
  ]);
  const key = keyArnOf(plan);
  return (resource) => {
    if (resource === key) return 'project-key';
    if (resource === '*') return '*';
    const path = resource.startsWith('arn:aws:s3:::') ? resource.slice('arn:aws:s3:::'.length) : resource.slice(resource.lastIndexOf('/') + 1);
    const [head, ...rest] = path.split('/');
    return [byName.get(head ?? '') ?? head, ...rest].join('/');
  };
}

describe('Program: every stack under mocks', function () {
  // Three mocked runs on a shared two-core machine; each is a few seconds at worst.
  this.timeout(120_000);

  for (const stack of STACKS) {
    describe(`Stack: ${stack}`, () => {
      let plan: Plan;
      let config: StackConfig;
      before(async () => {
        plan = await planned(stack);
        config = stackConfig(stack);
      });

      it('encrypts every stream, table, bucket, log group, secret, topic and the queue with the one project key', () => {
        // Prepare
        const key = keyArnOf(plan);
        const r = plan.resources;

        // Assess
        const keys = ofType(r, T.key);
        expect(keys).to.have.length(1);
        expect(keys[0]?.inputs['enableKeyRotation']).to.equal(true);
        for (const s of ofType(r, T.stream)) expect([s.inputs['encryptionType'], s.inputs['kmsKeyId']], s.name).to.deep.equal(['KMS', key]);
        for (const t of ofType(r, T.table)) expect(t.inputs['serverSideEncryption'], t.name).to.deep.equal({ enabled: true, kmsKeyArn: key });
        for (const b of ofType(r, T.bucket)) {
          const sse = ofType(r, T.sse).filter((c) => c.inputs['bucket'] === b.inputs['bucket']);
          expect(sse, b.name).to.have.length(1);
          expect(sse[0]?.inputs['rules']).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key }, bucketKeyEnabled: true }]);
        }
        for (const type of [T.logGroup, T.secret, T.redis]) {
          for (const resource of ofType(r, type)) expect(resource.inputs['kmsKeyId'], resource.name).to.equal(key);
        }
        for (const topic of ofType(r, T.topic)) expect(topic.inputs['kmsMasterKeyId']).to.equal(key);
        for (const queue of ofType(r, T.sqsQueue)) expect(queue.inputs['kmsMasterKeyId'], queue.name).to.equal(key);
        for (const firehose of ofType(r, T.firehose)) {
          expect(get(firehose, 'extendedS3Configuration.kmsKeyArn')).to.equal(key);
          // Firehose SSE is refused by AWS when a Kinesis stream is the source.
          expect(firehose.inputs['serverSideEncryption']).to.equal(undefined);
        }
        expect(ofType(r, T.logGroup).length).to.be.greaterThan(0);
      });

      it("removes every bucket's expired delete markers, and expires Athena's query results", () => {
        // Act
        const lifecycles = ofType(plan.resources, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration');
        type Rule = { filter?: { prefix?: string }; expiration?: { days?: number; expiredObjectDeleteMarker?: boolean } };
        const rulesOf = (name: string) => (named(plan.resources, 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', name).inputs['rules'] as Rule[]);

        // Assess
        expect(lifecycles).to.have.length(ofType(plan.resources, T.bucket).length);
        for (const l of lifecycles) expect((l.inputs['rules'] as Rule[]).some((r) => r.expiration?.expiredObjectDeleteMarker === true), l.name).to.equal(true);
        const results = rulesOf('analytics-bucket-lifecycle').find((r) => r.filter?.prefix === ATHENA_RESULTS_PREFIX);
        expect(results?.expiration?.days).to.equal(ATHENA_RESULTS_EXPIRE_DAYS);
      });

      it('blocks public access to every bucket and denies requests not over TLS', () => {
        for (const bucket of ofType(plan.resources, T.bucket)) {
          // Prepare
          const name = bucket.inputs['bucket'];
          const block = ofType(plan.resources, T.publicAccess).find((p) => p.inputs['bucket'] === name);
          const policy = ofType(plan.resources, T.bucketPolicy).find((p) => p.inputs['bucket'] === name);

          // Assess
          expect(block?.inputs, String(name)).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
          const deny = statementsOf(policy as PlannedResource).find((s) => s.Effect === 'Deny' && s.Condition?.['Bool']?.['aws:SecureTransport'] === false);
          expect(deny?.Action).to.deep.equal(['s3:*']);
          expect(deny?.Resource).to.deep.equal([`arn:aws:s3:::${String(name)}`, `arn:aws:s3:::${String(name)}/*`]);
        }
      });

      it('allows no wildcard action and Resource "*" only where AWS has no resource to scope', () => {
        for (const policy of ofType(plan.resources, T.rolePolicy)) {
          expect(policyFindings({ Statement: statementsOf(policy) }), policy.name).to.deep.equal([]);
        }
        for (const role of ofType(plan.resources, T.role)) {
          const trust = json<{ Statement: Statement[] }>(role.inputs['assumeRolePolicy']).Statement;
          // Only a service of this account may assume a role, never a wildcard principal.
          for (const s of trust) {
            expect(Object.keys(s.Principal as object), role.name).to.deep.equal(['Service']);
            expect(s.Condition, role.name).to.not.equal(undefined);
          }
        }
        const keyPolicy = json<{ Statement: Statement[] }>(ofType(plan.resources, T.key)[0]?.inputs['policy']);
        expect(policyFindings(keyPolicy, { resourceStarMeansSelf: true })).to.deep.equal([]);
      });

      it("gives the Firehose role both lanes' raw streams, the archive and the key through Kinesis and S3 only", () => {
        // Prepare
        const policy = named(plan.resources, T.rolePolicy, 'raw-archive-role-policy');
        const labels = logicalLabels(stack, plan);

        // Act
        const granted = grants(statementsOf(policy), labels);

        // Assess
        const kinesis = granted.filter((g) => g.startsWith('kinesis:'));
        expect(kinesis.every((g) => g.endsWith(' on raw') || g.endsWith(' on rawHistory'))).to.equal(true);
        expect(kinesis).to.include.members(['kinesis:GetRecords on raw', 'kinesis:GetRecords on rawHistory']);
        expect(granted.filter((g) => g.startsWith('s3:')).every((g) => / on rawArchive(\/\*)?$/.test(g))).to.equal(true);
        expect(granted).to.include.members(['kms:Decrypt on project-key', 'kms:GenerateDataKey on project-key']);
      });

      it('writes the archive as GZIP NDJSON under the time-partitioned prefix, with an error prefix and delivery logs', () => {
        // Prepare
        const firehose = named(plan.resources, T.firehose, 'raw-archive-firehose');

        // Assess
        expect(get(firehose, 'extendedS3Configuration.prefix')).to.equal(ARCHIVE_PREFIX);
        expect(ARCHIVE_PREFIX).to.match(/^raw\/year=!\{timestamp:yyyy\}\/month=!\{timestamp:MM\}\/day=!\{timestamp:dd\}\/hour=!\{timestamp:HH\}\/$/);
        expect(get(firehose, 'extendedS3Configuration.errorOutputPrefix')).to.match(/!\{firehose:error-output-type\}/);
        expect(get(firehose, 'extendedS3Configuration.compressionFormat')).to.equal('GZIP');
        expect(get(firehose, 'extendedS3Configuration.bufferingSize')).to.equal(config.archive.bufferSizeMb);
        expect(get(firehose, 'extendedS3Configuration.bufferingInterval')).to.equal(config.archive.bufferIntervalSeconds);
        expect(get(firehose, 'extendedS3Configuration.cloudwatchLoggingOptions.enabled')).to.equal(true);
        expect(get(firehose, 'extendedS3Configuration.processingConfiguration')).to.deep.equal({ enabled: true, processors: [{ type: 'AppendDelimiterToRecord' }] });
        expect(get(firehose, 'kinesisSourceConfiguration.kinesisStreamArn')).to.equal((plan.outputs['streams'] as { raw: { arn: string } }).raw.arn);
      });

      it("archives the history lane's raw stream with a delivery stream of its own, into the same bucket and prefix, each alarmed", () => {
        // Prepare
        const live = named(plan.resources, T.firehose, 'raw-archive-firehose');
        const history = named(plan.resources, T.firehose, 'raw-archive-firehose-rawHistory');
        const alarmed = ofType(plan.resources, T.alarm).map((a) => (a.inputs['dimensions'] as Record<string, unknown> | undefined)?.['DeliveryStreamName']);

        // Assess
        expect(ofType(plan.resources, T.firehose)).to.have.length(2);
        expect(get(history, 'kinesisSourceConfiguration.kinesisStreamArn')).to.equal((plan.outputs['streams'] as { rawHistory: { arn: string } }).rawHistory.arn);
        expect(history.inputs['name']).to.equal(deliveryStreamName(stack, 'rawHistory')).and.to.not.equal(live.inputs['name']);
        for (const path of ['extendedS3Configuration.bucketArn', 'extendedS3Configuration.prefix', 'extendedS3Configuration.roleArn', 'extendedS3Configuration.kmsKeyArn']) {
          expect(get(history, path), path).to.deep.equal(get(live, path));
        }
        // Alarms come with compute (a data-plane-only stack has none).
        if (config.compute !== undefined) expect(alarmed.filter((name) => name === history.inputs['name'])).to.have.length(2);
      });

      it('creates the catalog streams and tables with the stack settings', () => {
        // Prepare
        const names = resourceNames(stack);

        // Assess
        const streams = ofType(plan.resources, T.stream);
        expect(streams.map((s) => s.inputs['name'])).to.have.members(Object.values(names.streams));
        for (const s of streams) {
          expect(s.inputs['retentionPeriod']).to.equal(config.streams.retentionHours);
          // Shard-level metrics cost per shard: on only those an alarm reads per shard.
          const readPerShard = ofType(plan.resources, T.alarm).flatMap((a) => {
            const metrics = [a.inputs, ...((a.inputs['metricQueries'] as { metric?: Record<string, unknown> }[] | undefined) ?? []).map((q) => q.metric ?? {})];
            return metrics.filter((m) => m['namespace'] === 'AWS/Kinesis' && typeof m['dimensions'] === 'object' && 'ShardId' in (m['dimensions'] as object)).map((m) => String(m['metricName']));
          });
          expect([...((s.inputs['shardLevelMetrics'] as string[] | undefined) ?? [])].sort()).to.deep.equal([...new Set(readPerShard)].sort());
          expect([...SHARD_LEVEL_METRICS].sort()).to.deep.equal([...new Set(readPerShard)].sort());
          expect(s.options.protect).to.equal(config.deletionProtection);
        }
        expect(named(plan.resources, T.stream, 'streams-raw').inputs['shardCount']).to.equal(config.streams.rawShards);
        expect(named(plan.resources, T.stream, 'streams-rawHistory').inputs['shardCount']).to.equal(config.streams.rawHistoryShards);
        expect(named(plan.resources, T.stream, 'streams-resultsHistory').inputs['shardCount']).to.equal(config.streams.resultsHistoryShards);
        const tables = ofType(plan.resources, T.table);
        expect(tables.map((t) => t.inputs['name'])).to.have.members(Object.values(names.tables));
        for (const [logical, spec] of Object.entries(TABLES)) {
          const table = named(plan.resources, T.table, `tables-${logical}`);
          expect(table.inputs, logical).to.include({ billingMode: 'PAY_PER_REQUEST', deletionProtectionEnabled: config.deletionProtection });
          expect(table.inputs['pointInTimeRecovery']).to.deep.equal({ enabled: true });
          const ttl = 'ttlAttribute' in spec ? { attributeName: spec.ttlAttribute, enabled: true } : undefined;
          expect(table.inputs['ttl'], logical).to.deep.equal(ttl);
        }
      });

      it('names every child after its component and gives every resource a parent', () => {
        for (const resource of plan.resources) {
          if (resource.type === 'pulumi:pulumi:Stack') continue;
          expect(resource.parent, `${resource.type} ${resource.name}`).to.not.equal(undefined);
          const [parentType, parentName] = (resource.parent ?? '').split('::');
          if (parentType !== 'pulumi:pulumi:Stack') expect(resource.name.startsWith(`${parentName ?? ''}-`), `${resource.name} under ${parentName ?? ''}`).to.equal(true);
        }
      });
    });
  }

  describe('Stack: local', () => {
    it('holds only the data plane', async () => {
      // Act
      const plan = await planned('local');

      // Assess
      const types = new Set(plan.resources.map((r) => r.type));
      for (const type of [T.vpc, T.redis, T.service, T.taskDefinition, T.glueTable, T.schedule, T.alarm]) expect(types.has(type), type).to.equal(false);
      for (const type of [T.key, T.stream, T.table, T.bucket, T.firehose]) expect(types.has(type), type).to.equal(true);
      expect(plan.outputs['dataPlaneEnvironment']).to.include({ RAW_STREAM_NAME: resourceNames('local').streams.raw, RAW_HISTORY_STREAM_NAME: resourceNames('local').streams.rawHistory });
    });
  });

  for (const stack of COMPUTE_STACKS) {
    describe(`Stack: ${stack} (compute)`, () => {
      let plan: Plan;
      let config: StackConfig;
      before(async () => {
        plan = await planned(stack);
        config = stackConfig(stack);
      });

      it("grants each worker role exactly the IAM contract's rendering with this stack's ARNs", () => {
        // Prepare
        const keyArn = keyArnOf(plan);
        const [, , , region = '', accountId = ''] = keyArn.split(':');
        const buckets = plan.outputs['buckets'] as { rawArchive: string; analytics: string };
        const arns = catalogArns({ partition: 'aws', region, accountId }, { ...resourceNames(stack), buckets }, { keyArn, metricsNamespace: WORKER_VARIABLES.METRICS_NAMESPACE.default });

        for (const role of TASK_ROLES) {
          // Act
          const policy = statementsOf(named(plan.resources, T.rolePolicy, `workers-${role}-task-policy`));

          // Assess
          expect(policy, role).to.deep.equal(renderRoleStatements(role, arns));
        }
      });

      it('gives every task an environment the worker accepts, with secrets only from Secrets Manager', () => {
        // Prepare
        const secretPrefixes = ofType(plan.resources, T.secret).map((s) => `arn:aws:secretsmanager:${config.region}:123456789012:secret:${String(s.inputs['namePrefix'])}`);

        for (const role of TASK_ROLES) {
          // Act
          const c = container(plan, role);
          const taskMemoryMiB = Number(named(plan.resources, T.taskDefinition, `workers-${role}-task`).inputs['memory']);

          // Assess
          expect(() => parseContainerEnvironment(role as WorkerRoleName, c), role).to.not.throw();
          const secrets = secretVariables(role as WorkerRoleName);
          expect(c.secrets.map((s) => s.name), role).to.deep.equal(secrets);
          for (const s of c.secrets) expect(secretPrefixes.some((prefix) => s.valueFrom.startsWith(prefix)), s.valueFrom).to.equal(true);
          expect(c.environment.map((e) => e.name).filter((name) => (secrets as string[]).includes(name)), role).to.deep.equal([]);
          expect(c.command).to.deep.equal(workerCommand(role as WorkerRoleName, taskMemoryMiB));
        }
      });

      it("starts the scorer with an old-space limit of at most half its task's memory", () => {
        // Prepare
        const definition = named(plan.resources, T.taskDefinition, 'workers-scorer-task');
        const taskMiB = Number(definition.inputs['memory']);

        // Act
        const command = container(plan, 'scorer').command;

        // Assess
        const limit = Number(/^--max-old-space-size=(\d+)$/.exec(command.find((part) => part.startsWith('--max-old-space-size=')) ?? '')?.[1]);
        expect(limit).to.equal(Math.min(SCORER_MAX_OLD_SPACE_MIB, taskMiB / 2));
        expect(command.indexOf(`--max-old-space-size=${limit}`)).to.be.lessThan(command.indexOf('workers/main.js'));
      });

      it("registers the stream-reader's consumer on the live raw stream and the projector's on the live results stream, and gives each its ARN, on which alone it may subscribe", () => {
        // Prepare
        const streamArn = (logical: keyof typeof STREAMS) => (plan.outputs['streams'] as Record<string, { arn: string }>)[logical]?.arn;

        // Act
        const consumers = plan.resources.filter((r) => r.type === T.streamConsumer);
        const consumerArn = (role: string, variable: string) => container(plan, role).environment.find((e) => e.name === variable)?.value ?? '';

        // Assess
        expect(consumers.map((c) => [c.inputs['name'], c.inputs['streamArn']])).to.deep.equal([
          ['stream-reader', streamArn('raw')],
          ['projector', streamArn('results')],
        ]);
        expect(consumerArn('stream-reader', 'RAW_CONSUMER_ARN')).to.match(new RegExp(`^${streamArn('raw') ?? '-'}/consumer/stream-reader:\\d+$`));
        expect(consumerArn('projector', 'RESULTS_CONSUMER_ARN')).to.match(new RegExp(`^${streamArn('results') ?? '-'}/consumer/projector:\\d+$`));
        const subscribe = (role: string) => statementsOf(named(plan.resources, T.rolePolicy, `workers-${role}-task-policy`)).filter((s) => s.Action.includes('kinesis:SubscribeToShard'));
        expect(subscribe('stream-reader').flatMap((s) => s.Resource)).to.deep.equal([`${streamArn('raw') ?? '-'}/consumer/stream-reader:*`]);
        expect(subscribe('projector').flatMap((s) => s.Resource)).to.deep.equal([`${streamArn('results') ?? '-'}/consumer/projector:*`]);
        for (const role of ['crawler', 'scorer'] as const) expect(subscribe(role)).to.deep.equal([]);
      });

      it('builds each task from the resources it names: its definition depends on them, and names them as they report it', () => {
        // Prepare: which resource each naming variable stands for, from the contract's own mapping
        const refs = (type: string, prefix: string, record: Record<string, unknown>) => Object.fromEntries(Object.keys(record).map((logical) => [logical, `${type}::${prefix}${logical}`]));
        const byVariable = resourceVariables({
          streams: refs(T.stream, 'streams-', STREAMS) as Record<keyof typeof STREAMS, string>,
          tables: refs(T.table, 'tables-', TABLES) as Record<keyof typeof TABLES, string>,
          buckets: { rawArchive: `${T.bucket}::raw-archive-bucket-s3`, analytics: `${T.bucket}::analytics-bucket-s3` },
          queues: Object.fromEntries(Object.keys(QUEUES).map((q) => [q, 'not-a-resource'])) as Record<keyof typeof QUEUES, string>,
          queuePrefix: 'not-a-resource',
        }) as Record<string, string | undefined>;
        const byRef = new Map(plan.resources.map((r) => [`${r.type}::${r.name}`, r]));

        for (const role of TASK_ROLES) {
          // Act
          const definition = named(plan.resources, T.taskDefinition, `workers-${role}-task`);
          const environment = container(plan, role).environment;

          // Assess
          const named_ = environment.filter((e) => byVariable[e.name] !== undefined && byVariable[e.name] !== 'not-a-resource');
          expect(named_.length, role).to.be.greaterThan(0);
          for (const { name, value } of named_) {
            const ref = byVariable[name] ?? '';
            expect(definition.options.dependencies, `${role} ${name}`).to.include(ref);
            const resource = byRef.get(ref);
            expect(value, `${role} ${name}`).to.equal(resource?.inputs['name'] ?? resource?.inputs['bucket']);
          }
        }
      });

      it('passes the Redis token and broker key only as Pulumi secrets', () => {
        expect(named(plan.resources, T.redis, 'queue-redis').inputs['authToken']).to.equal(SECRET_MARKER);
        for (const version of ofType(plan.resources, T.secretVersion)) expect(version.inputs['secretString']).to.equal(SECRET_MARKER);
      });

      it('health-checks every service on /health and leaves drain time before the stop timeout', () => {
        for (const role of SERVICE_ROLES) {
          // Act
          const c = container(plan, role);
          const env = parseContainerEnvironment(role, c) as { SHUTDOWN_TIMEOUT_MS: number; HEALTH_PORT: number };

          // Assess
          expect(c.healthCheck?.command, role).to.deep.equal(healthCheckCommand(HEALTH_PORT));
          expect(env.HEALTH_PORT).to.equal(HEALTH_PORT);
          expect(c.stopTimeout).to.equal(config.compute?.stopTimeoutSeconds);
          expect(env.SHUTDOWN_TIMEOUT_MS).to.be.lessThan(c.stopTimeout * 1000);
        }
      });

      it('makes pulumi up wait for steady services where the stack asks for it (prod does)', () => {
        // Act
        // Every ECS service of the plan: the workers' and those of the webhook and read-API components.
        const services = plan.resources.filter((r) => r.type === T.service);
        const waits = services.map((r) => r.inputs['waitForSteadyState']);

        // Assess
        expect(services.length).to.be.greaterThan(SERVICE_ROLES.length);
        expect(waits).to.deep.equal(services.map(() => config.compute?.waitForSteadyState));
        if (stack === 'prod') expect(config.compute?.waitForSteadyState, 'a crash-looping prod deploy must fail pulumi up').to.equal(true);
      });

      it('runs every service in task subnets without public IPs and ignores desiredCount drift', () => {
        for (const role of SERVICE_ROLES) {
          const service = named(plan.resources, T.service, `workers-${role}-service`);
          expect(get(service, 'networkConfiguration.assignPublicIp'), role).to.equal(false);
          expect(service.options.ignoreChanges, role).to.include('desiredCount');
        }
        // The crawlers are a fleet on the sync queue: they roll with overlap and scale on the sync backlog.
        expect(named(plan.resources, T.service, 'workers-crawler-service').inputs).to.include({ desiredCount: 1, deploymentMaximumPercent: 200 });
        const webhook = named(plan.resources, T.service, 'webhook-task-service');
        expect(get(webhook, 'networkConfiguration.assignPublicIp')).to.equal(false);
        expect(webhook.options.ignoreChanges).to.include('desiredCount');
      });

      it('scales within the configured bounds: readers follow the raw shards, projectors stop at the results shards', () => {
        // Prepare
        const scaling = config.compute?.scaling;
        const target = (role: string) => named(plan.resources, T.target, `autoscaling-${role}`).inputs;
        const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
        const reader = scaling?.streamReader ?? { min: 0, max: 0 };
        const projector = scaling?.projector ?? { min: 0, max: 0 };
        const shards = { raw: config.streams.rawShards ?? reader.max, results: config.streams.resultsShards ?? projector.max };

        // Assess
        const readers = clamp(shards.raw, reader.min, reader.max);
        expect(target('stream-reader')).to.include({ minCapacity: readers, maxCapacity: readers });
        expect(target('scorer')).to.include({ minCapacity: scaling?.scorer.min, maxCapacity: scaling?.scorer.max });
        expect(target('projector')).to.include({ minCapacity: Math.min(projector.min, projector.max, shards.results), maxCapacity: Math.min(projector.max, shards.results) });
        expect(ofType(plan.resources, T.target).map((t) => t.name)).to.not.include('autoscaling-crawler');
        for (const role of ['stream-reader', 'scorer', 'projector']) {
          expect(named(plan.resources, T.service, `workers-${role}-service`).inputs['desiredCount'], role).to.equal(target(role)['minCapacity']);
        }
      });

      it('creates a lag policy for a reader role only where its bounds leave room to scale', () => {
        for (const role of ['stream-reader', 'projector']) {
          // Act
          const t = named(plan.resources, T.target, `autoscaling-${role}`).inputs;
          const policies = ofType(plan.resources, T.scalingPolicy).filter((p) => p.name === `autoscaling-${role}-lag`);

          // Assess
          expect(policies, `${stack} ${role} bounds ${String(t['minCapacity'])}..${String(t['maxCapacity'])}`).to.have.length(Number(t['minCapacity']) < Number(t['maxCapacity']) ? 1 : 0);
        }
      });

      it('scales the scorer on backlog per task and on CPU', () => {
        // Act
        const backlog = named(plan.resources, T.scalingPolicy, 'autoscaling-scorer-backlog');
        const cpu = named(plan.resources, T.scalingPolicy, 'autoscaling-scorer-cpu');

        // Assess
        const metrics = get(backlog, 'targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metrics') as { id: string; expression?: string }[];
        expect(metrics.find((m) => m.expression !== undefined)?.expression).to.equal('backlog / tasks');
        expect(get(backlog, 'targetTrackingScalingPolicyConfiguration.targetValue')).to.equal(config.compute?.scaling.scorer.backlogPerTask);
        expect(get(cpu, 'targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType')).to.equal('ECSServiceAverageCPUUtilization');
        expect(get(cpu, 'targetTrackingScalingPolicyConfiguration.targetValue')).to.equal(config.compute?.scaling.scorer.cpuPercent);
      });

      it('lets no task in, and lets each role out only to the endpoints, prefix lists, Redis and broker it needs', () => {
        // Prepare
        const egress = ofType(plan.resources, T.egressRule);
        const rulesOf = (role: string) => egress.filter((r) => r.name.startsWith(`network-${role}-to-`));
        const sg = (name: string) => `network-${name}-id`;
        const prefixList = (service: string) => `pl-network-${service}`;
        const brokerCidrs = config.compute?.brokerCidrs ?? [];

        // Assess: no group takes traffic from outside the VPC, the roles' groups take none at all
        for (const group of ofType(plan.resources, T.securityGroup)) {
          for (const rule of (group.inputs['ingress'] as { cidrBlocks?: string[] }[] | undefined) ?? []) expect(rule.cidrBlocks ?? [], group.name).to.deep.equal([]);
        }
        for (const role of TASK_ROLES) expect(named(plan.resources, T.securityGroup, `network-${role}`).inputs['ingress'], role).to.equal(undefined);
        // Every egress rule names a group, a prefix list, or the broker's ranges: never the internet
        for (const rule of egress) {
          const to = [rule.inputs['referencedSecurityGroupId'], rule.inputs['prefixListId'], rule.inputs['cidrIpv4']].filter((v) => v !== undefined);
          expect(to, rule.name).to.have.length(1);
          if (rule.inputs['cidrIpv4'] !== undefined) expect(brokerCidrs, rule.name).to.include(rule.inputs['cidrIpv4']);
        }
        const destinations = (role: string) => rulesOf(role).map((r) => [r.inputs['fromPort'], r.inputs['referencedSecurityGroupId'] ?? r.inputs['prefixListId'] ?? r.inputs['cidrIpv4']]);
        expect(destinations('crawler')).to.have.deep.members([
          [443, sg('endpoints')],
          [443, prefixList('s3')],
          [443, prefixList('dynamodb')],
          // The sync queue (BullMQ) the crawler fleet takes its connection syncs from.
          [6379, sg('redis')],
          ...brokerCidrs.map((cidr) => [443, cidr]),
        ]);
        expect(destinations('scorer')).to.have.deep.members([
          [443, sg('endpoints')],
          [443, prefixList('s3')],
          [443, prefixList('dynamodb')],
          [6379, sg('redis')],
        ]);
        expect(destinations('replay')).to.have.deep.members([
          [443, sg('endpoints')],
          [443, prefixList('s3')],
        ]);
        // Redis admits only the roles that read REDIS_URL
        const redisIngress = (named(plan.resources, T.securityGroup, 'network-redis').inputs['ingress'] as { securityGroups: string[] }[])[0]?.securityGroups;
        expect(redisIngress).to.have.members([sg('crawler'), sg('stream-reader'), sg('scorer'), sg('webhook')]);
        // The webhook tasks take traffic from API Gateway's VPC link only, on their port; reach Redis and the broker's keys.
        expect(destinations('webhook')).to.have.deep.members([
          [443, sg('endpoints')],
          [443, prefixList('s3')],
          [6379, sg('redis')],
          ...brokerCidrs.map((cidr) => [443, cidr]),
        ]);
        for (const role of SERVICE_ROLES) expect(get(named(plan.resources, T.service, `workers-${role}-service`), 'networkConfiguration.securityGroups'), role).to.deep.equal([sg(role)]);
      });

      it('builds the VPC with NAT per config, gateway and interface endpoints, flow logs and a closed default group', () => {
        // Prepare
        const network = config.compute?.network;
        const zones = network?.availabilityZones ?? 0;
        const nats = { none: 0, single: 1, 'one-per-az': zones }[network?.natGateways ?? 'none'];
        const vpcId = named(plan.resources, T.vpc, 'network-vpc').name + '-id';

        // Assess
        expect(named(plan.resources, T.vpc, 'network-vpc').inputs['cidrBlock']).to.equal(network?.cidr);
        expect(ofType(plan.resources, T.natGateway)).to.have.length(nats);
        // No NAT, no way out: no internet gateway and no public subnet either
        expect(ofType(plan.resources, T.internetGateway)).to.have.length(nats === 0 ? 0 : 1);
        expect(ofType(plan.resources, T.subnet).filter((s) => s.name.includes('-public-'))).to.have.length(nats === 0 ? 0 : zones);
        const taskRoutes = ofType(plan.resources, T.routeTable).filter((r) => r.name.startsWith('network-task-routes-')).map((r) => `${r.name}-id`);
        expect(taskRoutes).to.have.length(zones);
        for (const service of ['s3', 'dynamodb']) {
          const endpoint = named(plan.resources, T.endpoint, `network-${service}`);
          expect(endpoint.inputs).to.include({ serviceName: `com.amazonaws.${config.region}.${service}`, vpcEndpointType: 'Gateway' });
          expect(endpoint.inputs['routeTableIds']).to.have.members(taskRoutes);
        }
        // The network's own endpoints; the read API adds Cognito's (tested in api-gateway.test.ts).
        const interfaces = ofType(plan.resources, T.endpoint).filter((e) => e.name.startsWith('network-') && e.inputs['vpcEndpointType'] === 'Interface');
        expect(interfaces.map((e) => e.inputs['serviceName'])).to.have.members(INTERFACE_ENDPOINTS.map((s) => `com.amazonaws.${config.region}.${s}`));
        const flowLog = named(plan.resources, T.flowLog, 'network-flow-log');
        expect(flowLog.inputs).to.include({ vpcId, trafficType: 'ALL', logDestinationType: 'cloud-watch-logs' });
        const flowLogGroup = named(plan.resources, T.logGroup, 'network-flow-logs');
        expect(flowLogGroup.inputs).to.include({ kmsKeyId: keyArnOf(plan), retentionInDays: config.logRetentionDays });
        expect(named(plan.resources, T.defaultSecurityGroup, 'network-default-group').inputs).to.deep.include({ vpcId, ingress: [], egress: [] });
      });

      it('names secrets by prefix (a replacement cannot collide) and applies a new Redis token at once, rotating by default', () => {
        // Act
        const secrets = ofType(plan.resources, T.secret);
        const redis = named(plan.resources, T.redis, 'queue-redis').inputs;

        // Assess
        for (const s of secrets) expect([s.inputs['name'], s.inputs['namePrefix']], s.name).to.satisfy(([name, prefix]: unknown[]) => name === undefined && typeof prefix === 'string');
        expect(redis).to.include({ authTokenUpdateStrategy: config.compute?.redis.authTokenUpdateStrategy, applyImmediately: true });
        expect(config.compute?.redis.authTokenUpdateStrategy).to.equal('ROTATE');
      });

      it('runs Redis with TLS, noeviction, and failover where the stack asks for it', () => {
        // Act
        const redis = named(plan.resources, T.redis, 'queue-redis').inputs;
        const parameters = named(plan.resources, T.parameters, 'queue-parameters').inputs;

        // Assess
        expect(redis).to.include({ transitEncryptionEnabled: true, atRestEncryptionEnabled: true, multiAzEnabled: config.compute?.redis.multiAz, automaticFailoverEnabled: config.compute?.redis.multiAz });
        expect(redis['numCacheClusters']).to.equal(1 + (config.compute?.redis.replicas ?? 0));
        expect(parameters['parameters']).to.deep.equal([{ name: 'maxmemory-policy', value: 'noeviction' }]);
      });

      it('makes the archive and the Parquet queryable from the shared analytics schema', () => {
        // Act
        const enriched = named(plan.resources, T.glueTable, 'analytics-enriched-table');
        const raw = named(plan.resources, T.glueTable, 'analytics-raw-table');

        // Assess
        const columns = (t: PlannedResource) => (get(t, 'storageDescriptor.columns') as { name: string; type: string }[]).map((c) => [c.name, c.type]);
        expect(columns(enriched)).to.deep.equal(ENRICHED_COLUMNS.map((c) => [c.name, c.glueType]));
        expect(columns(raw)).to.deep.equal(RAW_ARCHIVE_COLUMNS.map((c) => [c.name, c.glueType]));
        expect((enriched.inputs['partitionKeys'] as { name: string }[]).map((p) => p.name)).to.deep.equal(ENRICHED_PARTITIONS.map((p) => p.name));
        expect((raw.inputs['partitionKeys'] as { name: string }[]).map((p) => p.name)).to.deep.equal(RAW_ARCHIVE_PARTITIONS.map((p) => p.name));
        for (const t of [enriched, raw]) expect((t.inputs['parameters'] as Record<string, string>)['projection.enabled']).to.equal('true');
        const workgroup = named(plan.resources, T.workgroup, 'analytics-workgroup');
        expect(get(workgroup, 'configuration.enforceWorkgroupConfiguration')).to.equal(true);
        expect(get(workgroup, 'configuration.resultConfiguration.encryptionConfiguration')).to.deep.equal({ encryptionOption: 'SSE_KMS', kmsKeyArn: keyArnOf(plan) });
      });

      it('schedules the batch task on the cluster', () => {
        // Act
        const schedule = named(plan.resources, T.schedule, 'analytics-batch-schedule');

        // Assess
        expect(schedule.inputs['scheduleExpression']).to.equal(config.compute?.batchSchedule);
        expect(String(get(schedule, 'target.ecsParameters.taskDefinitionArn'))).to.match(/:task-definition\/realtime-insights-[a-z]+-batch:\d+$/);
        expect(get(schedule, 'target.ecsParameters.launchType')).to.equal('FARGATE');
      });

      it('sends runs the schedule could not start to an encrypted dead-letter queue it may write, and alarms on it', () => {
        // Prepare
        const queue = named(plan.resources, T.sqsQueue, 'analytics-batch-dead-letters');
        const queueArn = `arn:aws:sqs:${config.region}:${keyArnOf(plan).split(':')[4] ?? ''}:analytics-batch-dead-letters`;

        // Act
        const schedule = named(plan.resources, T.schedule, 'analytics-batch-schedule');
        const statements = statementsOf(named(plan.resources, T.rolePolicy, 'analytics-batch-policy'));
        const alarm = named(plan.resources, T.alarm, 'observability-batch-schedule-failed');

        // Assess
        expect(queue.inputs['kmsMasterKeyId']).to.equal(keyArnOf(plan));
        expect(get(schedule, 'target.deadLetterConfig.arn')).to.equal(queueArn);
        expect(statements.find((st) => st.Action.includes('sqs:SendMessage'))?.Resource).to.equal(queueArn);
        expect(get(alarm, 'dimensions.QueueName')).to.equal(queue.inputs['name']);
        expect(alarm.inputs).to.include({ namespace: 'AWS/SQS', comparisonOperator: 'GreaterThanThreshold', threshold: 0 });
      });

      it('alarms on Redis memory over every node, tasks below desired per service and throttling per table', () => {
        // Prepare
        const alarms = ofType(plan.resources, T.alarm);
        const byName = (suffix: string) => named(plan.resources, T.alarm, `observability-${suffix}`);
        const replicas = config.compute?.redis.replicas ?? 0;

        // Act
        const redis = byName('redis-memory');
        const nodes = (redis.inputs['metricQueries'] as { metric?: { dimensions: { CacheClusterId: string } } }[]).flatMap((q) => (q.metric === undefined ? [] : [q.metric.dimensions.CacheClusterId]));

        // Assess
        expect(nodes).to.have.length(1 + replicas);
        expect(new Set(nodes).size).to.equal(1 + replicas);
        for (const role of SERVICE_ROLES) byName(`${role}-tasks-below-desired`);
        for (const logical of Object.keys(TABLES)) byName(`${logical}-table-throttled`);
        expect(alarms.every((a) => (a.inputs['alarmActions'] as string[]).length === 1)).to.equal(true);
      });

      it("watches a subscribing reader's lag by its registered consumer, a polling reader's by GetRecords iterator age", () => {
        // Prepare
        const streamName = (logical: keyof typeof STREAMS) => (plan.outputs['streams'] as Record<string, { name: string }>)[logical]?.name;
        const watched = (suffix: string) => {
          const alarm = named(plan.resources, T.alarm, `observability-${suffix}`);
          return { metric: alarm.inputs['metricName'], dimensions: alarm.inputs['dimensions'], missing: alarm.inputs['treatMissingData'] };
        };

        // Act
        const ages = Object.fromEntries(['raw', 'results', 'raw-history', 'results-history'].map((stream) => [stream, watched(`${stream}-iterator-age`)]));

        // Assess: nobody polls the live results stream, so its GetRecords iterator age would be missing, which breaches
        expect(ages['raw']).to.deep.equal({ metric: 'SubscribeToShardEvent.MillisBehindLatest', dimensions: { StreamName: streamName('raw'), ConsumerName: 'stream-reader' }, missing: 'breaching' });
        expect(ages['results']).to.deep.equal({ metric: 'SubscribeToShardEvent.MillisBehindLatest', dimensions: { StreamName: streamName('results'), ConsumerName: 'projector' }, missing: 'breaching' });
        expect(ages['raw-history']).to.deep.equal({ metric: 'GetRecords.IteratorAgeMilliseconds', dimensions: { StreamName: streamName('rawHistory') }, missing: 'breaching' });
        expect(ages['results-history']).to.deep.equal({ metric: 'GetRecords.IteratorAgeMilliseconds', dimensions: { StreamName: streamName('resultsHistory') }, missing: 'breaching' });
      });

      it('alarms on both iterator ages, the readers\' own lag, throttled reads, failed and stalled jobs, Firehose delivery and rejects, and exports the dashboard', () => {
        // Act
        const alarms = ofType(plan.resources, T.alarm).map((a) => a.name.replace('observability-', ''));

        // Assess
        expect(alarms).to.include.members(['raw-iterator-age', 'results-iterator-age', 'stream-reader-lag', 'projector-lag', 'raw-read-throttled', 'results-read-throttled', 'jobs-failed', 'jobs-stalled', 'firehose-delivery-failed', 'reject-volume']);
        expect(plan.outputs['dashboardUrl']).to.match(new RegExp(`^https://${config.region}\\.console\\.aws\\.amazon\\.com/cloudwatch/`));
        expect(plan.outputs).to.include.keys('clusterName', 'serviceNames', 'redisEndpoint', 'streams', 'tables', 'buckets');
      });
    });
  }
});

function get(resource: PlannedResource, path: string): unknown {
  let value: unknown = resource.inputs;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
