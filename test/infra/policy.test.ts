import { expect } from 'chai';
import type { ReportViolation, ResourceValidationArgs } from '@pulumi/policy';
import {
  RESOURCE_POLICIES,
  STACK_POLICIES,
  bucketGaps,
  foreignKeys,
  leastPrivilege,
  networkGaps,
  streamsEncrypted,
  violationsOf,
} from '../../infra/policy/policies.js';
import type { PlannedResource } from '../../infra/planner/mock-stack.js';
import { STACKS, planned } from './helpers.js';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/project';
const OTHER_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/someone-else';

interface Case {
  readonly what: string;
  readonly type: string;
  readonly good: Record<string, unknown>;
  readonly bad: Record<string, unknown>;
  /** A fragment of the violation the bad resource must produce. */
  readonly says: RegExp;
}

const policyDoc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** One good and one bad resource per rule: the good one passes every policy, the bad one breaks this rule. */
const CASES: readonly Case[] = [
  {
    what: 'an unencrypted stream',
    type: 'aws:kinesis/stream:Stream',
    good: { encryptionType: 'KMS', kmsKeyId: KEY },
    bad: { encryptionType: 'NONE' },
    says: /encryptionType must be KMS/,
  },
  {
    what: 'a stream on the AWS-managed key',
    type: 'aws:kinesis/stream:Stream',
    good: { encryptionType: 'KMS', kmsKeyId: KEY },
    bad: { encryptionType: 'KMS', kmsKeyId: 'alias/aws/kinesis' },
    says: /customer-managed/,
  },
  {
    what: 'a table without the project key',
    type: 'aws:dynamodb/table:Table',
    good: { serverSideEncryption: { enabled: true, kmsKeyArn: KEY }, pointInTimeRecovery: { enabled: true } },
    bad: { serverSideEncryption: { enabled: true }, pointInTimeRecovery: { enabled: true } },
    says: /kmsKeyArn/,
  },
  {
    what: 'a table without point-in-time recovery',
    type: 'aws:dynamodb/table:Table',
    good: { serverSideEncryption: { enabled: true, kmsKeyArn: KEY }, pointInTimeRecovery: { enabled: true } },
    bad: { serverSideEncryption: { enabled: true, kmsKeyArn: KEY } },
    says: /pointInTimeRecovery/,
  },
  {
    what: 'an HTTP API stage without throttling',
    type: 'aws:apigatewayv2/stage:Stage',
    good: { defaultRouteSettings: { throttlingRateLimit: 10, throttlingBurstLimit: 20 }, accessLogSettings: { destinationArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:a' } },
    bad: { accessLogSettings: { destinationArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:a' } },
    says: /throttlingRateLimit/,
  },
  {
    what: 'an HTTP API stage without access logs',
    type: 'aws:apigatewayv2/stage:Stage',
    good: { defaultRouteSettings: { throttlingRateLimit: 10, throttlingBurstLimit: 20 }, accessLogSettings: { destinationArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:a' } },
    bad: { defaultRouteSettings: { throttlingRateLimit: 10, throttlingBurstLimit: 20 } },
    says: /accessLogSettings/,
  },
  { what: 'a public load balancer', type: 'aws:lb/loadBalancer:LoadBalancer', good: { internal: true }, bad: { internal: false }, says: /internal must be true/ },
  { what: 'a log group without a key', type: 'aws:cloudwatch/logGroup:LogGroup', good: { kmsKeyId: KEY, retentionInDays: 7 }, bad: { retentionInDays: 7 }, says: /kmsKeyId/ },
  { what: 'a log group kept forever', type: 'aws:cloudwatch/logGroup:LogGroup', good: { kmsKeyId: KEY, retentionInDays: 7 }, bad: { kmsKeyId: KEY }, says: /retentionInDays/ },
  {
    what: 'Redis without TLS',
    type: 'aws:elasticache/replicationGroup:ReplicationGroup',
    good: { transitEncryptionEnabled: true, atRestEncryptionEnabled: true, kmsKeyId: KEY, authToken: 'secret-token-123456' },
    bad: { transitEncryptionEnabled: false, atRestEncryptionEnabled: true, kmsKeyId: KEY, authToken: 'secret-token-123456' },
    says: /TLS/,
  },
  {
    what: 'Redis without an auth token',
    type: 'aws:elasticache/replicationGroup:ReplicationGroup',
    good: { transitEncryptionEnabled: true, atRestEncryptionEnabled: true, kmsKeyId: KEY, authToken: 'secret-token-123456' },
    bad: { transitEncryptionEnabled: true, atRestEncryptionEnabled: true, kmsKeyId: KEY },
    says: /authToken/,
  },
  { what: 'a secret without the project key', type: 'aws:secretsmanager/secret:Secret', good: { kmsKeyId: KEY }, bad: {}, says: /kmsKeyId/ },
  { what: 'a topic on the AWS-managed key', type: 'aws:sns/topic:Topic', good: { kmsMasterKeyId: KEY }, bad: { kmsMasterKeyId: 'alias/aws/sns' }, says: /kmsMasterKeyId/ },
  {
    what: 'Firehose SSE on a Kinesis source',
    type: 'aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream',
    good: { kinesisSourceConfiguration: { kinesisStreamArn: 's' }, extendedS3Configuration: { kmsKeyArn: KEY } },
    bad: { kinesisSourceConfiguration: { kinesisStreamArn: 's' }, serverSideEncryption: { enabled: true }, extendedS3Configuration: { kmsKeyArn: KEY } },
    says: /must not be enabled when a Kinesis stream is the source/,
  },
  {
    what: 'bucket encryption without KMS',
    type: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    good: { bucket: 'b', rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: KEY } }] },
    bad: { bucket: 'b', rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
    says: /aws:kms/,
  },
  {
    what: 'a public access switch left off',
    type: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
    good: { bucket: 'b', blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    bad: { bucket: 'b', blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: false },
    says: /restrictPublicBuckets must be true/,
  },
  {
    what: 'a service wildcard action',
    type: 'aws:iam/rolePolicy:RolePolicy',
    good: { policy: policyDoc([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/*' }]) },
    bad: { policy: policyDoc([{ Sid: 'Lazy', Effect: 'Allow', Action: ['s3:*'], Resource: 'arn:aws:s3:::b/*' }]) },
    says: /statement Lazy allows the wildcard action 's3:\*'/,
  },
  {
    what: 'a scopable action on Resource "*"',
    type: 'aws:iam/rolePolicy:RolePolicy',
    good: { policy: policyDoc([{ Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*' }]) },
    bad: { policy: { Statement: [{ Effect: 'Allow', Action: 'kinesis:PutRecords', Resource: '*' }] } },
    says: /kinesis:PutRecords on Resource "\*"/,
  },
  {
    what: 'a full-access managed policy',
    type: 'aws:iam/role:Role',
    good: { managedPolicyArns: [] },
    bad: { managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonS3FullAccess'] },
    says: /AmazonS3FullAccess/,
  },
  {
    what: 'a key without rotation',
    type: 'aws:kms/key:Key',
    good: { enableKeyRotation: true, policy: policyDoc([{ Effect: 'Allow', Principal: { AWS: 'root' }, Action: ['kms:Decrypt'], Resource: '*' }]) },
    bad: { enableKeyRotation: false },
    says: /enableKeyRotation/,
  },
  {
    what: 'a key policy with kms:*',
    type: 'aws:kms/key:Key',
    good: { enableKeyRotation: true, policy: policyDoc([{ Effect: 'Allow', Principal: { AWS: 'root' }, Action: ['kms:DescribeKey'], Resource: '*' }]) },
    bad: { enableKeyRotation: true, policy: policyDoc([{ Effect: 'Allow', Principal: { AWS: 'root' }, Action: ['kms:*'], Resource: '*' }]) },
    says: /kms:\*/,
  },
  {
    what: 'a security group open to the internet',
    type: 'aws:ec2/securityGroup:SecurityGroup',
    good: { ingress: [{ fromPort: 443, securityGroups: ['sg-1'] }], egress: [{ toPort: 443, prefixListIds: ['pl-1'] }] },
    bad: { ingress: [{ fromPort: 6379, cidrBlocks: ['0.0.0.0/0'] }] },
    says: /port 6379 is open to 0\.0\.0\.0\/0/,
  },
  { what: 'an ingress rule open over IPv6', type: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', good: { referencedSecurityGroupId: 'sg-1' }, bad: { cidrIpv6: '::/0' }, says: /::\/0/ },
  {
    what: 'a rule resource open to the internet',
    type: 'aws:ec2/securityGroupRule:SecurityGroupRule',
    good: { type: 'egress', cidrBlocks: ['203.0.113.0/24'] },
    bad: { type: 'ingress', cidrBlocks: ['0.0.0.0/0'] },
    says: /open to 0\.0\.0\.0\/0/,
  },
  {
    what: 'a security group with egress to the internet',
    type: 'aws:ec2/securityGroup:SecurityGroup',
    good: { egress: [{ toPort: 443, securityGroups: ['sg-endpoints'] }] },
    bad: { egress: [{ toPort: 443, cidrBlocks: ['0.0.0.0/0'] }] },
    says: /egress on port 443 is open to 0\.0\.0\.0\/0/,
  },
  { what: 'an egress rule open over IPv6', type: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule', good: { prefixListId: 'pl-1' }, bad: { cidrIpv6: '::/0' }, says: /egress is open to ::\/0/ },
  { what: 'a default security group with rules', type: 'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup', good: { ingress: [], egress: [] }, bad: { ingress: [], egress: [{ cidrBlocks: ['10.0.0.0/8'] }] }, says: /no egress rules/ },
  {
    what: 'a scheduled ECS task with a public IP',
    type: 'aws:scheduler/schedule:Schedule',
    good: { target: { ecsParameters: { networkConfiguration: { assignPublicIp: false } } } },
    bad: { target: { ecsParameters: { networkConfiguration: { assignPublicIp: true } } } },
    says: /assignPublicIp must be false/,
  },
  {
    what: 'an Athena workgroup that does not enforce its encrypted results',
    type: 'aws:athena/workgroup:Workgroup',
    good: { configuration: { enforceWorkgroupConfiguration: true, resultConfiguration: { encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: KEY } } } },
    bad: { configuration: { enforceWorkgroupConfiguration: false, resultConfiguration: { encryptionConfiguration: { encryptionOption: 'SSE_S3' } } } },
    says: /enforceWorkgroupConfiguration must be true[\s\S]*SSE_KMS/,
  },
  {
    what: 'an ECR repository with mutable tags and no scan',
    type: 'aws:ecr/repository:Repository',
    good: { imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } },
    bad: { imageTagMutability: 'MUTABLE' },
    says: /imageTagMutability must be IMMUTABLE[\s\S]*scanOnPush/,
  },
  {
    what: 'a service with public IPs',
    type: 'aws:ecs/service:Service',
    good: { networkConfiguration: { assignPublicIp: false } },
    bad: { networkConfiguration: { assignPublicIp: true } },
    says: /assignPublicIp must be false/,
  },
  {
    what: 'a credential in plain task environment',
    type: 'aws:ecs/taskDefinition:TaskDefinition',
    good: { containerDefinitions: JSON.stringify([{ name: 'crawler', environment: [{ name: 'BROKER_URL', value: 'https://b' }], secrets: [{ name: 'BROKER_API_KEY', valueFrom: 'arn' }] }]) },
    bad: { containerDefinitions: JSON.stringify([{ name: 'crawler', environment: [{ name: 'BROKER_API_KEY', value: 'k' }] }]) },
    says: /sets BROKER_API_KEY in plain environment/,
  },
];

describe('Policy pack: resource policies', () => {
  for (const c of CASES) {
    it(`rejects ${c.what} and passes the fixed resource`, () => {
      // Act
      const bad = violationsOf({ type: c.type, props: c.bad, name: 'bad' });
      const good = violationsOf({ type: c.type, props: c.good, name: 'good' });

      // Assess
      expect(bad.map((v) => v.message).join('\n')).to.match(c.says);
      expect(good).to.deep.equal([]);
    });
  }

  it('reports through validateResource exactly as the engine calls it', async () => {
    // Prepare
    const messages: string[] = [];
    const report: ReportViolation = (message) => messages.push(message);
    const args = { type: 'aws:kinesis/stream:Stream', props: { encryptionType: 'NONE' }, name: 's', urn: 'urn:s' } as unknown as ResourceValidationArgs;

    // Act
    const validations = [streamsEncrypted.validateResource, leastPrivilege.validateResource].flat();
    for (const validate of validations) await validate?.(args, report);

    // Assess
    expect(messages).to.have.length(2);
    expect(messages[0]).to.match(/encryptionType must be KMS/);
  });

  it('makes every policy mandatory', () => {
    expect([...RESOURCE_POLICIES, ...STACK_POLICIES].map((p) => p.enforcementLevel)).to.deep.equal([...RESOURCE_POLICIES, ...STACK_POLICIES].map(() => 'mandatory'));
  });
});

describe('Policy pack: stack policies', () => {
  const bucket = { type: 'aws:s3/bucket:Bucket', urn: 'urn:bucket', props: { bucket: 'b' } };
  const sse = {
    type: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    urn: 'urn:sse',
    props: { bucket: 'b', rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: KEY } }] },
  };
  const block = { type: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', urn: 'urn:pab', props: { bucket: 'b' } };
  const tls = {
    type: 'aws:s3/bucketPolicy:BucketPolicy',
    urn: 'urn:policy',
    props: { bucket: 'b', policy: policyDoc([{ Effect: 'Deny', Principal: '*', Action: ['s3:*'], Resource: '*', Condition: { Bool: { 'aws:SecureTransport': false } } }]) },
  };

  it('finds a bucket that lacks its public access block or TLS-only policy', () => {
    // Act
    const complete = bucketGaps([bucket, sse, block, tls]);
    const gaps = bucketGaps([bucket, sse, { ...tls, props: { bucket: 'b', policy: policyDoc([]) } }]);

    // Assess
    expect(complete).to.deep.equal([]);
    expect(gaps.map((g) => g.message)).to.deep.equal(['bucket b has no public access block', 'bucket b has no policy that denies requests without TLS (aws:SecureTransport false)']);
  });

  it('finds a VPC without flow logs or without its default security group managed', () => {
    // Prepare
    const vpc = { type: 'aws:ec2/vpc:Vpc', urn: 'urn:vpc', props: {} };
    const flowLog = { type: 'aws:ec2/flowLog:FlowLog', urn: 'urn:flow', props: {} };
    const defaultGroup = { type: 'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup', urn: 'urn:default', props: { ingress: [], egress: [] } };

    // Act
    const bare = networkGaps([vpc]).map((g) => g.message);
    const complete = networkGaps([vpc, flowLog, defaultGroup]);

    // Assess
    expect(bare.join('\n')).to.match(/no flow log/).and.to.match(/default security group is not managed/);
    expect(complete).to.deep.equal([]);
  });

  it("finds data encrypted with a key that is not the stack's own", () => {
    // Prepare
    const key = { type: 'aws:kms/key:Key', urn: 'urn:key', props: { arn: KEY } };
    const stream = { type: 'aws:kinesis/stream:Stream', urn: 'urn:stream', props: { kmsKeyId: OTHER_KEY } };

    // Act
    const found = foreignKeys([key, stream, { ...sse, props: { bucket: 'b', rules: [{ applyServerSideEncryptionByDefault: { kmsMasterKeyId: OTHER_KEY } }] } }]);

    // Assess
    expect(found.map((f) => f.urn)).to.deep.equal(['urn:stream', 'urn:sse']);
    expect(foreignKeys([key, { ...stream, props: { kmsKeyId: KEY } }])).to.deep.equal([]);
  });
});

describe('Policy pack: the program itself', function () {
  this.timeout(120_000);

  for (const stack of STACKS) {
    it(`passes every policy on the ${stack} stack`, async () => {
      // Prepare
      const plan = await planned(stack);
      const asStack = (r: PlannedResource) => ({
        type: r.type,
        urn: `urn:${r.type}::${r.name}`,
        // The engine would pass the key's ARN once it exists; the mock run knows it from the outputs.
        props: r.type === 'aws:kms/key:Key' ? { ...r.inputs, arn: plan.outputs['keyArn'] } : r.inputs,
      });

      // Act
      const resourceViolations = plan.resources.flatMap((r) => violationsOf({ type: r.type, props: r.inputs, name: r.name }).map((v) => `${r.name}: ${v.message}`));
      const stackViolations = [...bucketGaps(plan.resources.map(asStack)), ...foreignKeys(plan.resources.map(asStack)), ...networkGaps(plan.resources.map(asStack))];

      // Assess
      expect(resourceViolations).to.deep.equal([]);
      expect(stackViolations).to.deep.equal([]);
    });
  }
});
