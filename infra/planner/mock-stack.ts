import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';

/**
 * Runs the program under `pulumi.runtime.setMocks`, with no engine and no cloud: every resource
 * the program registers is recorded (type, name, parent, inputs) and answered with plausible
 * outputs (ARNs, ids, endpoints), so `npm run plan` can print the tree and tests can assert on it.
 * awsx classes are remote components: only the component and its inputs appear, so the mock
 * returns the outputs the program reads from them (subnet ids, repository URL, image URI).
 */

/** One resource the program would create. */
export interface PlannedResource {
  readonly type: string;
  readonly name: string;
  /** `type::name` of the parent; undefined for the stack itself. */
  readonly parent: string | undefined;
  /** False for component resources (including the stack). */
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
  /** The resource options the engine would act on. */
  readonly options: ResourceOptionsSeen;
}

/** Resource options as the engine receives them. */
export interface ResourceOptionsSeen {
  readonly protect: boolean;
  readonly ignoreChanges: readonly string[];
  /** `type::name` of every resource this one depends on (the Outputs among its inputs, and `dependsOn`). */
  readonly dependencies: readonly string[];
}

export interface MockStackOptions {
  readonly stack: string;
  /** Region the fake ARNs and endpoints use. @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** The stack config as Pulumi holds it: `namespace:key` to string (objects as JSON). @default {} */
  readonly config?: Record<string, string>;
  /** Keys of `config` that are secrets. @default [] */
  readonly secretKeys?: readonly string[];
}

export interface MockStackResult {
  readonly resources: PlannedResource[];
  readonly outputs: Record<string, unknown>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean | undefined;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
}

interface MonitorLike {
  registerResource(req: RegisterRequest, callback: unknown): unknown;
}

/** `urn:pulumi:dev::realtime-insights::a:b:C$d:e:F::name` -> `d:e:F::name`. */
export function urnToRef(urn: string): string | undefined {
  if (urn === '') return undefined;
  const parts = urn.split('::');
  const name = parts[parts.length - 1];
  const typeChain = parts[parts.length - 2];
  if (name === undefined || typeChain === undefined) return undefined;
  const type = typeChain.split('$').pop() ?? typeChain;
  return `${type}::${name}`;
}

/** What a secret input looks like in a plan: its value never leaves the mock. */
export const SECRET_MARKER = '[secret]';

/** Replaces every secret-wrapped value (Pulumi's secret signature) with `SECRET_MARKER`. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return SECRET_MARKER;
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, redactSecrets(inner)]));
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/** Outputs the program reads back from a resource, beyond its own inputs. */
function fakeOutputs(type: string, name: string, inputs: Record<string, unknown>, region: string, account: string): Record<string, unknown> {
  const id = `${name}-id`;
  const named = text(inputs['name'], name);
  switch (type) {
    case 'aws:kms/key:Key':
      return { arn: `arn:aws:kms:${region}:${account}:key/${id}`, keyId: id };
    case 'aws:kinesis/stream:Stream':
      return { arn: `arn:aws:kinesis:${region}:${account}:stream/${named}` };
    case 'aws:kinesis/streamConsumer:StreamConsumer':
      // The registration's time ends the ARN; a fixed one keeps plans comparable.
      return { arn: `${text(inputs['streamArn'], `arn:aws:kinesis:${region}:${account}:stream/unknown`)}/consumer/${named}:1764900000`, creationTimestamp: '2025-12-05T02:00:00Z' };
    case 'aws:dynamodb/table:Table':
      return { arn: `arn:aws:dynamodb:${region}:${account}:table/${named}` };
    case 'aws:s3/bucket:Bucket': {
      const bucket = text(inputs['bucket'], name);
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { arn: `arn:aws:logs:${region}:${account}:log-group:${named}` };
    case 'aws:secretsmanager/secret:Secret': {
      // A name prefix gets a generated suffix, as the provider adds one.
      const secretName = typeof inputs['namePrefix'] === 'string' ? `${inputs['namePrefix']}20261204000000000000000001` : named;
      return { name: secretName, arn: `arn:aws:secretsmanager:${region}:${account}:secret:${secretName}-AbCdEf` };
    }
    case 'aws:iam/role:Role':
      return { arn: `arn:aws:iam::${account}:role/${name}`, name };
    case 'aws:ecr/repository:Repository':
      return { arn: `arn:aws:ecr:${region}:${account}:repository/${named}`, repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${named}` };
    case 'aws:ecs/cluster:Cluster':
      return { arn: `arn:aws:ecs:${region}:${account}:cluster/${named}` };
    case 'aws:ecs/taskDefinition:TaskDefinition':
      return { arn: `arn:aws:ecs:${region}:${account}:task-definition/${text(inputs['family'], name)}:1` };
    case 'aws:elasticache/replicationGroup:ReplicationGroup':
      return { primaryEndpointAddress: `master.${text(inputs['replicationGroupId'], name)}.abc123.${region}.cache.amazonaws.com` };
    case 'aws:sns/topic:Topic':
      return { arn: `arn:aws:sns:${region}:${account}:${named}` };
    case 'aws:cloudwatch/dashboard:Dashboard':
      return { dashboardName: text(inputs['dashboardName'], name) };
    case 'aws:ec2/securityGroup:SecurityGroup':
      return { arn: `arn:aws:ec2:${region}:${account}:security-group/sg-${name}` };
    case 'aws:ec2/vpcEndpoint:VpcEndpoint':
      return inputs['vpcEndpointType'] === 'Gateway' ? { prefixListId: `pl-${name}` } : {};
    case 'aws:cognito/userPool:UserPool':
      // The read API's issuer is https://<endpoint>; the authoriser and the api tasks must agree on it.
      return { arn: `arn:aws:cognito-idp:${region}:${account}:userpool/${region}_${name}`, endpoint: `cognito-idp.${region}.amazonaws.com/${region}_${name}` };
    case 'aws:apigatewayv2/api:Api':
      return { arn: `arn:aws:apigateway:${region}::/apis/${id}`, apiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com` };
    case 'awsx:ec2:Vpc': {
      const zones = typeof inputs['numberOfAvailabilityZones'] === 'number' ? inputs['numberOfAvailabilityZones'] : 2;
      const subnets = (kind: string) => Array.from({ length: zones }, (_, i) => `subnet-${kind}-${i}`);
      return { vpcId: `vpc-${name}`, privateSubnetIds: subnets('private'), isolatedSubnetIds: subnets('isolated'), publicSubnetIds: subnets('public') };
    }
    case 'awsx:ecr:Repository':
      return { url: `${account}.dkr.ecr.${region}.amazonaws.com/${named}` };
    case 'awsx:ecr:Image':
      return { imageUri: `${text(inputs['repositoryUrl'], name)}@sha256:${'0'.repeat(64)}` };
    default:
      return { arn: `arn:aws:${type.split(':')[1]?.split('/')[0] ?? 'unknown'}:${region}:${account}:${name}` };
  }
}

function fakeCall(token: string, inputs: Record<string, unknown>, region: string, account: string): Record<string, unknown> {
  switch (token) {
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return { accountId: account, arn: `arn:aws:iam::${account}:user/plan`, userId: 'AIDAPLAN', id: account };
    case 'aws:index/getPartition:getPartition':
      return { partition: 'aws', dnsSuffix: 'amazonaws.com', reverseDnsPrefix: 'com.amazonaws', id: 'aws' };
    case 'aws:index/getAvailabilityZones:getAvailabilityZones': {
      const names = ['a', 'b', 'c', 'd'].map((zone) => `${region}${zone}`);
      return { names, zoneIds: names.map((_, i) => `zone-${i}`), id: region };
    }
    case 'aws:index/getRegion:getRegion':
      return { name: region, region, id: region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
    default:
      return inputs;
  }
}

/**
 * Runs `program` as the body of a mocked stack and returns every resource it registered and the
 * stack outputs. Each call installs fresh mocks, so stacks can run one after another in one process.
 */
export async function runMockStack(options: MockStackOptions, program: () => unknown): Promise<MockStackResult> {
  const region = options.region ?? 'eu-west-1';
  const account = options.accountId ?? '123456789012';
  const resources: PlannedResource[] = [];
  const seen = new Map<string, { parent: string; options: ResourceOptionsSeen }>();

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = redactSecrets(args.inputs ?? {}) as Record<string, unknown>;
        const request = seen.get(`${args.type}::${args.name}`);
        resources.push({
          type: args.type,
          name: args.name,
          parent: urnToRef(request?.parent ?? ''),
          custom: args.custom ?? false,
          inputs,
          options: request?.options ?? { protect: false, ignoreChanges: [], dependencies: [] },
        });
        return { id: `${args.name}-id`, state: { ...inputs, ...fakeOutputs(args.type, args.name, inputs, region, account) } };
      },
      call(args) {
        return fakeCall(args.token, (args.inputs ?? {}) as Record<string, unknown>, region, account);
      },
    },
    PROJECT,
    options.stack,
    false,
  );
  pulumi.runtime.setAllConfig({ ...(options.config ?? {}) }, [...(options.secretKeys ?? [])]);

  // The mock's newResource is told neither the parent nor the options; the monitor's request
  // carries them, so note them on the way in (registerResource calls newResource straight after).
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    seen.set(`${req.getType()}::${req.getName()}`, {
      parent: req.getParent(),
      options: {
        protect: req.getProtect() ?? false,
        ignoreChanges: req.getIgnorechangesList(),
        dependencies: req.getDependenciesList().flatMap((urn) => urnToRef(urn) ?? []),
      },
    });
    return register(req, callback);
  };

  const outputs = await pulumi.runtime.runInPulumiStack(async () => (await program()) as pulumi.Inputs | undefined);
  // Resources registered from inside apply callbacks are still in flight: wait for every RPC.
  await pulumi.runtime.disconnect();
  return { resources, outputs: (outputs ?? {}) as Record<string, unknown> };
}
