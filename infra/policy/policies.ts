import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { parsePolicy, policyFindings } from './iam-rules.js';

/**
 * The CrossGuard policies of realtime-insights: the invariants the program's tests check, enforced
 * on every `pulumi preview` and `pulumi up` (all mandatory). Each validation reads only the
 * resource's inputs, so it also runs in tests without the Pulumi CLI.
 */

type Props = Record<string, unknown>;
type Validation = (args: Pick<ResourceValidationArgs, 'type' | 'props' | 'name'>, report: ReportViolation) => void;

function get(props: unknown, path: string): unknown {
  let value: unknown = props;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Props)[part];
  }
  return value;
}

function present(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

/** AWS-managed keys (`alias/aws/...`) cannot be limited by a key policy of ours. */
function customerKey(value: unknown): boolean {
  return present(value) && !String(value).includes('alias/aws/');
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

function array(value: unknown): Props[] {
  return Array.isArray(value) ? (value as Props[]) : [];
}

/** A validation for one resource type; other types pass untouched. */
function forType(type: string, check: (props: Props, report: ReportViolation, name: string) => void): Validation {
  return (args, report) => {
    if (args.type === type) check(args.props as Props, report, args.name);
  };
}

function policy(name: string, description: string, validations: Validation[]): ResourceValidationPolicy & { validations: Validation[] } {
  const validateResource = validations.map((v) => (args: ResourceValidationArgs, report: ReportViolation) => v(args, report));
  return { name, description, enforcementLevel: 'mandatory', validateResource, validations };
}

export const streamsEncrypted = policy('kinesis-streams-encrypted', 'Kinesis streams are encrypted with a customer-managed KMS key.', [
  forType('aws:kinesis/stream:Stream', (p, report) => {
    if (p['encryptionType'] !== 'KMS') report(`encryptionType must be KMS, got ${String(p['encryptionType'])}`);
    if (!customerKey(p['kmsKeyId'])) report('kmsKeyId must name the project key (a customer-managed key)');
  }),
]);

export const tablesEncrypted = policy('dynamodb-tables-encrypted', 'DynamoDB tables use the project key and point-in-time recovery.', [
  forType('aws:dynamodb/table:Table', (p, report) => {
    if (get(p, 'serverSideEncryption.enabled') !== true || !customerKey(get(p, 'serverSideEncryption.kmsKeyArn'))) {
      report('serverSideEncryption must be enabled with kmsKeyArn set to the project key');
    }
    if (get(p, 'pointInTimeRecovery.enabled') !== true) report('pointInTimeRecovery must be enabled');
  }),
]);

export const logsEncrypted = policy('log-groups-encrypted', 'Log groups are encrypted with the project key and expire.', [
  forType('aws:cloudwatch/logGroup:LogGroup', (p, report) => {
    if (!customerKey(p['kmsKeyId'])) report('kmsKeyId must be set to the project key');
    if (typeof p['retentionInDays'] !== 'number' || p['retentionInDays'] <= 0) report('retentionInDays must be set; logs must not be kept forever by accident');
  }),
]);

export const queueEncrypted = policy('elasticache-encrypted', 'Redis encrypts in transit and at rest with the project key and requires an auth token.', [
  forType('aws:elasticache/replicationGroup:ReplicationGroup', (p, report) => {
    if (p['transitEncryptionEnabled'] !== true) report('transitEncryptionEnabled must be true (TLS)');
    if (p['atRestEncryptionEnabled'] !== true) report('atRestEncryptionEnabled must be true');
    if (!customerKey(p['kmsKeyId'])) report('kmsKeyId must be set to the project key');
    if (p['authToken'] === undefined || p['authToken'] === '') report('authToken must be set (from a Pulumi secret)');
  }),
]);

export const secretsEncrypted = policy('secrets-and-topics-encrypted', 'Secrets Manager secrets and SNS topics use the project key.', [
  forType('aws:secretsmanager/secret:Secret', (p, report) => {
    if (!customerKey(p['kmsKeyId'])) report('kmsKeyId must be set to the project key');
  }),
  forType('aws:sns/topic:Topic', (p, report) => {
    if (!customerKey(p['kmsMasterKeyId'])) report('kmsMasterKeyId must be set to the project key');
  }),
]);

export const firehoseFromStream = policy(
  'firehose-kinesis-source',
  'A Firehose reading a Kinesis stream has no Firehose SSE (AWS rejects it) and writes S3 objects with the project key.',
  [
    forType('aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream', (p, report) => {
      if (p['kinesisSourceConfiguration'] !== undefined && get(p, 'serverSideEncryption.enabled') === true) {
        report('serverSideEncryption must not be enabled when a Kinesis stream is the source; decrypt the stream with the role instead');
      }
      if (p['extendedS3Configuration'] !== undefined && !customerKey(get(p, 'extendedS3Configuration.kmsKeyArn'))) {
        report('extendedS3Configuration.kmsKeyArn must be set to the project key');
      }
    }),
  ],
);

export const bucketsLocked = policy('s3-buckets-locked', 'Bucket encryption is SSE-KMS with the project key, and every public-access switch is on.', [
  forType('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', (p, report) => {
    const rules = array(p['rules']);
    if (rules.length === 0) report('rules must set SSE-KMS');
    for (const rule of rules) {
      if (get(rule, 'applyServerSideEncryptionByDefault.sseAlgorithm') !== 'aws:kms') report('sseAlgorithm must be aws:kms');
      if (!customerKey(get(rule, 'applyServerSideEncryptionByDefault.kmsMasterKeyId'))) report('kmsMasterKeyId must be set to the project key');
    }
  }),
  forType('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', (p, report) => {
    for (const flag of ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets']) {
      if (p[flag] !== true) report(`${flag} must be true`);
    }
  }),
  forType('aws:s3/bucket:Bucket', (p, report) => {
    // The inline (deprecated) forms would fight the separate resources this project uses.
    if (p['acl'] !== undefined && p['acl'] !== 'private') report(`acl must not be set to '${String(p['acl'])}'`);
  }),
]);

const POLICY_PROPERTIES: Readonly<Record<string, string>> = {
  'aws:iam/rolePolicy:RolePolicy': 'policy',
  'aws:iam/policy:Policy': 'policy',
  'aws:s3/bucketPolicy:BucketPolicy': 'policy',
  'aws:sns/topicPolicy:TopicPolicy': 'policy',
};

export const leastPrivilege = policy(
  'iam-least-privilege',
  'No IAM statement allows * or service:* actions, and Resource "*" only appears for actions AWS cannot scope.',
  [
    (args, report) => {
      const property = POLICY_PROPERTIES[args.type];
      if (property === undefined) return;
      const doc = parsePolicy((args.props as Props)[property]);
      if (doc === undefined) return;
      for (const finding of policyFindings(doc)) report(`statement ${finding.sid} ${finding.problem}`);
    },
    forType('aws:iam/role:Role', (p, report) => {
      for (const inline of array(p['inlinePolicies'])) {
        const doc = parsePolicy(inline['policy']);
        for (const finding of doc === undefined ? [] : policyFindings(doc)) report(`inline policy statement ${finding.sid} ${finding.problem}`);
      }
      for (const arn of (Array.isArray(p['managedPolicyArns']) ? p['managedPolicyArns'] : []) as string[]) {
        if (/FullAccess|AdministratorAccess|PowerUserAccess/.test(arn)) report(`managed policy ${arn} grants far more than any role here needs`);
      }
    }),
    forType('aws:kms/key:Key', (p, report) => {
      const doc = parsePolicy(p['policy']);
      for (const finding of doc === undefined ? [] : policyFindings(doc, { resourceStarMeansSelf: true })) report(`key policy statement ${finding.sid} ${finding.problem}`);
      if (p['enableKeyRotation'] !== true) report('enableKeyRotation must be true');
    }),
  ],
);

const OPEN = ['0.0.0.0/0', '::/0'];

export const noPublicIngress = policy('no-public-ingress', 'No security group accepts traffic from 0.0.0.0/0 or ::/0.', [
  forType('aws:ec2/securityGroup:SecurityGroup', (p, report) => {
    for (const rule of array(p['ingress'])) {
      const sources = [...array(rule['cidrBlocks']), ...array(rule['ipv6CidrBlocks'])] as unknown as string[];
      for (const cidr of sources) if (OPEN.includes(cidr)) report(`ingress on port ${String(rule['fromPort'])} is open to ${cidr}`);
    }
  }),
  forType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', (p, report) => {
    for (const cidr of [p['cidrIpv4'], p['cidrIpv6']]) if (typeof cidr === 'string' && OPEN.includes(cidr)) report(`ingress is open to ${cidr}`);
  }),
  forType('aws:ec2/securityGroupRule:SecurityGroupRule', (p, report) => {
    if (p['type'] !== 'ingress') return;
    const sources = [...array(p['cidrBlocks']), ...array(p['ipv6CidrBlocks'])] as unknown as string[];
    for (const cidr of sources) if (OPEN.includes(cidr)) report(`ingress is open to ${cidr}`);
  }),
]);

// Variable names that hold credentials: they must come through ECS `secrets`, never `environment`.
const SECRET_NAME = /(API_KEY|AUTH_TOKEN|PASSWORD|SECRET|PRIVATE_KEY)/;

export const privateTasks = policy('ecs-private-tasks', 'Fargate tasks get no public IP and no credentials in plain environment variables.', [
  forType('aws:ecs/service:Service', (p, report) => {
    if (get(p, 'networkConfiguration.assignPublicIp') === true) report('networkConfiguration.assignPublicIp must be false; tasks live in private subnets');
  }),
  forType('aws:ecs/taskDefinition:TaskDefinition', (p, report) => {
    for (const container of array(parseJson(p['containerDefinitions']))) {
      for (const variable of array(container['environment'])) {
        const name = String(variable['name']);
        if (SECRET_NAME.test(name)) report(`container ${String(container['name'])} sets ${name} in plain environment; use secrets (Secrets Manager)`);
      }
    }
  }),
]);

/** All resource policies of the pack. */
export const gatewaysGuarded = policy(
  'gateways-guarded',
  'HTTP API stages throttle and write access logs; load balancers are internal (the API Gateway HTTP APIs are the only public entry).',
  [
    forType('aws:apigatewayv2/stage:Stage', (p, report) => {
      for (const limit of ['throttlingRateLimit', 'throttlingBurstLimit']) {
        const value = get(p, `defaultRouteSettings.${limit}`);
        if (typeof value !== 'number' || value <= 0) report(`defaultRouteSettings.${limit} must be set above 0; an unthrottled stage takes any flood to the tasks`);
      }
      if (!present(get(p, 'accessLogSettings.destinationArn'))) report('accessLogSettings.destinationArn must name a log group; every request to a public entry is logged');
    }),
    forType('aws:lb/loadBalancer:LoadBalancer', (p, report) => {
      if (p['internal'] !== true) report('internal must be true; reach tasks through an API Gateway VPC link, not a public load balancer');
    }),
  ],
);

export const egressScoped = policy('no-open-egress', 'No security group lets traffic out to 0.0.0.0/0 or ::/0: each role reaches endpoints, prefix lists, groups and named ranges only.', [
  forType('aws:ec2/securityGroup:SecurityGroup', (p, report) => {
    for (const rule of array(p['egress'])) {
      const targets = [...array(rule['cidrBlocks']), ...array(rule['ipv6CidrBlocks'])] as unknown as string[];
      for (const cidr of targets) if (OPEN.includes(cidr)) report(`egress on port ${String(rule['toPort'])} is open to ${cidr}`);
    }
  }),
  forType('aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule', (p, report) => {
    for (const cidr of [p['cidrIpv4'], p['cidrIpv6']]) if (typeof cidr === 'string' && OPEN.includes(cidr)) report(`egress is open to ${cidr}`);
  }),
  forType('aws:ec2/securityGroupRule:SecurityGroupRule', (p, report) => {
    if (p['type'] !== 'egress') return;
    const targets = [...array(p['cidrBlocks']), ...array(p['ipv6CidrBlocks'])] as unknown as string[];
    for (const cidr of targets) if (OPEN.includes(cidr)) report(`egress is open to ${cidr}`);
  }),
  forType('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup', (p, report) => {
    for (const direction of ['ingress', 'egress']) if (array(p[direction]).length > 0) report(`the VPC's default security group must have no ${direction} rules (nothing should use it)`);
  }),
]);

export const scheduledTasksPrivate = policy('scheduler-private-tasks', 'EventBridge Scheduler starts ECS tasks without public IPs.', [
  forType('aws:scheduler/schedule:Schedule', (p, report) => {
    if (get(p, 'target.ecsParameters') === undefined) return;
    if (get(p, 'target.ecsParameters.networkConfiguration.assignPublicIp') !== false) report('target.ecsParameters.networkConfiguration.assignPublicIp must be false; scheduled tasks live in private subnets');
  }),
]);

export const athenaEnforced = policy('athena-workgroup-enforced', 'Athena workgroups enforce their settings and encrypt query results with a customer-managed key.', [
  forType('aws:athena/workgroup:Workgroup', (p, report) => {
    if (get(p, 'configuration.enforceWorkgroupConfiguration') !== true) report('configuration.enforceWorkgroupConfiguration must be true; a client could otherwise write unencrypted results elsewhere');
    const encryption = get(p, 'configuration.resultConfiguration.encryptionConfiguration');
    if (!['SSE_KMS', 'CSE_KMS'].includes(String(get(encryption, 'encryptionOption'))) || !customerKey(get(encryption, 'kmsKeyArn'))) {
      report('configuration.resultConfiguration.encryptionConfiguration must be SSE_KMS (or CSE_KMS) with the project key');
    }
  }),
]);

export const imagesImmutable = policy('ecr-immutable-scanned', 'ECR repositories have immutable tags and scan on push.', [
  forType('aws:ecr/repository:Repository', (p, report) => {
    if (p['imageTagMutability'] !== 'IMMUTABLE') report(`imageTagMutability must be IMMUTABLE (a tag names one build for good), got ${String(p['imageTagMutability'] ?? 'MUTABLE')}`);
    if (get(p, 'imageScanningConfiguration.scanOnPush') !== true) report('imageScanningConfiguration.scanOnPush must be true');
  }),
]);

export const RESOURCE_POLICIES = [
  egressScoped,
  scheduledTasksPrivate,
  athenaEnforced,
  imagesImmutable,
  streamsEncrypted,
  tablesEncrypted,
  logsEncrypted,
  queueEncrypted,
  secretsEncrypted,
  firehoseFromStream,
  bucketsLocked,
  leastPrivilege,
  noPublicIngress,
  privateTasks,
  gatewaysGuarded,
] as const;

/** Runs every resource policy's validations against one resource; returns the violations. */
export function violationsOf(resource: Pick<ResourceValidationArgs, 'type' | 'props' | 'name'>): { policy: string; message: string }[] {
  const out: { policy: string; message: string }[] = [];
  for (const p of RESOURCE_POLICIES) {
    for (const validation of p.validations) validation(resource, (message) => out.push({ policy: p.name, message }));
  }
  return out;
}

type StackResource = Pick<PolicyResource, 'type' | 'props' | 'urn'>;

/**
 * Bucket settings are separate resources: check that each bucket has all of them, tied by the
 * `bucket` property (known at preview time, since every bucket here is named).
 */
export function bucketGaps(resources: readonly StackResource[]): { urn: string; message: string }[] {
  const out: { urn: string; message: string }[] = [];
  const forBucket = (type: string, bucket: unknown) => resources.filter((r) => r.type === type && (r.props as Props)['bucket'] === bucket);
  for (const bucket of resources.filter((r) => r.type === 'aws:s3/bucket:Bucket')) {
    const name = (bucket.props as Props)['bucket'];
    if (typeof name !== 'string') continue;
    if (forBucket('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', name).length === 0) {
      out.push({ urn: bucket.urn, message: `bucket ${name} has no SSE-KMS configuration` });
    }
    if (forBucket('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', name).length === 0) {
      out.push({ urn: bucket.urn, message: `bucket ${name} has no public access block` });
    }
    const denies = forBucket('aws:s3/bucketPolicy:BucketPolicy', name).some((p) => {
      const doc = parsePolicy((p.props as Props)['policy']);
      const statements = array(doc?.Statement);
      return statements.some((s) => s['Effect'] === 'Deny' && get(s, 'Condition.Bool.aws:SecureTransport') === false);
    });
    if (!denies) out.push({ urn: bucket.urn, message: `bucket ${name} has no policy that denies requests without TLS (aws:SecureTransport false)` });
  }
  return out;
}

/** Where each encrypted resource type names its key. */
export const KEY_REFERENCES: Readonly<Record<string, readonly string[]>> = {
  'aws:kinesis/stream:Stream': ['kmsKeyId'],
  'aws:dynamodb/table:Table': ['serverSideEncryption.kmsKeyArn'],
  'aws:cloudwatch/logGroup:LogGroup': ['kmsKeyId'],
  'aws:elasticache/replicationGroup:ReplicationGroup': ['kmsKeyId'],
  'aws:secretsmanager/secret:Secret': ['kmsKeyId'],
  'aws:sns/topic:Topic': ['kmsMasterKeyId'],
  'aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream': ['extendedS3Configuration.kmsKeyArn'],
  'aws:athena/workgroup:Workgroup': ['configuration.resultConfiguration.encryptionConfiguration.kmsKeyArn'],
};

/** Every key reference must name a key of this stack (its ARN, id or alias), so one key guards all data. */
export function foreignKeys(resources: readonly StackResource[]): { urn: string; message: string }[] {
  const own = new Set<string>();
  for (const r of resources) {
    const p = r.props as Props;
    if (r.type === 'aws:kms/key:Key') for (const v of [p['arn'], p['keyId'], p['id']]) if (typeof v === 'string') own.add(v);
    if (r.type === 'aws:kms/alias:Alias') for (const v of [p['name'], p['arn']]) if (typeof v === 'string') own.add(v);
  }
  const out: { urn: string; message: string }[] = [];
  for (const r of resources) {
    for (const path of KEY_REFERENCES[r.type] ?? []) {
      const value = get(r.props, path);
      // Unknown until the key exists (first preview); the resource policies already require one.
      if (typeof value !== 'string' || own.size === 0) continue;
      if (!own.has(value)) out.push({ urn: r.urn, message: `${path} names ${value}, which is not this stack's project key` });
    }
  }
  for (const sse of resources.filter((r) => r.type === 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration')) {
    for (const rule of array((sse.props as Props)['rules'])) {
      const value = get(rule, 'applyServerSideEncryptionByDefault.kmsMasterKeyId');
      if (typeof value === 'string' && own.size > 0 && !own.has(value)) out.push({ urn: sse.urn, message: `kmsMasterKeyId names ${value}, which is not this stack's project key` });
    }
  }
  return out;
}

export const bucketsComplete: StackValidationPolicy = {
  name: 's3-buckets-complete',
  description: 'Every bucket has SSE-KMS, a public access block, and a policy that denies requests without TLS.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    for (const gap of bucketGaps(args.resources)) report(gap.message, gap.urn);
  },
};

export const oneProjectKey: StackValidationPolicy = {
  name: 'one-project-key',
  description: "Every encrypted resource uses this stack's own customer-managed key.",
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    for (const foreign of foreignKeys(args.resources)) report(foreign.message, foreign.urn);
  },
};

/** Every VPC has flow logs and a managed (emptied) default security group: counted, as ids are unknown at preview. */
export function networkGaps(resources: readonly StackResource[]): { urn: string; message: string }[] {
  const count = (type: string) => resources.filter((r) => r.type === type).length;
  const out: { urn: string; message: string }[] = [];
  for (const vpc of resources.filter((r) => r.type === 'aws:ec2/vpc:Vpc')) {
    if (count('aws:ec2/flowLog:FlowLog') < count('aws:ec2/vpc:Vpc')) out.push({ urn: vpc.urn, message: 'the VPC has no flow log: turn on VPC flow logs (encrypted log group with retention)' });
    if (count('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup') < count('aws:ec2/vpc:Vpc')) {
      out.push({ urn: vpc.urn, message: "the VPC's default security group is not managed: adopt it with aws.ec2.DefaultSecurityGroup and no rules" });
    }
  }
  return out;
}

export const networkWatched: StackValidationPolicy = {
  name: 'vpc-flow-logs-and-closed-default-group',
  description: 'Every VPC has flow logs and a default security group without rules.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    for (const gap of networkGaps(args.resources)) report(gap.message, gap.urn);
  },
};

export const STACK_POLICIES = [bucketsComplete, oneProjectKey, networkWatched] as const;
