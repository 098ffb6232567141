import type { PlannedResource } from './mock-stack.js';

/**
 * One line per resource for `npm run plan`: the inputs a reviewer checks (names, sizes,
 * encryption, exposure, permissions), not every input (`--json` has those).
 */

type Inputs = Record<string, unknown>;

function get(inputs: unknown, path: string): unknown {
  let value: unknown = inputs;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Inputs)[part];
  }
  return value;
}

function short(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  // ARNs and ids are long and repetitive; their last segment says which one.
  if (value.startsWith('arn:')) return `…${value.slice(value.lastIndexOf(':') + 1).split('/').pop() ?? value}`;
  return value;
}

function fields(inputs: Inputs, pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([label, path]) => [label, get(inputs, path)] as const)
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([label, value]) => `${label}=${Array.isArray(value) ? value.map(short).join(',') : short(value)}`)
    .join(' ');
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function policyActions(policy: unknown): string {
  const doc = parseJson(policy) as { Statement?: { Effect?: string; Action?: string | string[]; Sid?: string }[] } | undefined;
  const statements = doc?.Statement ?? [];
  return statements
    .map((s) => `${s.Effect === 'Deny' ? 'deny ' : ''}${s.Sid ?? ''}[${([] as string[]).concat(s.Action ?? []).join(',')}]`)
    .join(' ');
}

const SUMMARIES: Readonly<Record<string, (inputs: Inputs) => string>> = {
  'aws:kms/key:Key': (i) => fields(i, [['rotation', 'enableKeyRotation'], ['deletionWindowDays', 'deletionWindowInDays']]),
  'aws:kms/alias:Alias': (i) => fields(i, [['name', 'name']]),
  'aws:kinesis/stream:Stream': (i) =>
    fields(i, [
      ['name', 'name'],
      ['mode', 'streamModeDetails.streamMode'],
      ['shards', 'shardCount'],
      ['retentionHours', 'retentionPeriod'],
      ['encryption', 'encryptionType'],
      ['key', 'kmsKeyId'],
    ]),
  'aws:dynamodb/table:Table': (i) =>
    fields(i, [
      ['name', 'name'],
      ['hash', 'hashKey'],
      ['range', 'rangeKey'],
      ['billing', 'billingMode'],
      ['pitr', 'pointInTimeRecovery.enabled'],
      ['ttl', 'ttl.attributeName'],
      ['key', 'serverSideEncryption.kmsKeyArn'],
      ['deletionProtection', 'deletionProtectionEnabled'],
    ]),
  'aws:s3/bucket:Bucket': (i) => fields(i, [['bucket', 'bucket'], ['forceDestroy', 'forceDestroy']]),
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': (i) =>
    fields(i, [
      ['sse', 'rules.0.applyServerSideEncryptionByDefault.sseAlgorithm'],
      ['key', 'rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId'],
      ['bucketKey', 'rules.0.bucketKeyEnabled'],
    ]),
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': (i) =>
    fields(i, [['blockPublicAcls', 'blockPublicAcls'], ['blockPublicPolicy', 'blockPublicPolicy'], ['ignorePublicAcls', 'ignorePublicAcls'], ['restrictPublicBuckets', 'restrictPublicBuckets']]),
  'aws:s3/bucketPolicy:BucketPolicy': (i) => policyActions(i['policy']),
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': (i) => {
    const rule = get(i, 'rules.0') as Inputs | undefined;
    const transitions = ((rule?.['transitions'] as Inputs[] | undefined) ?? []).map((t) => `${String(t['storageClass'])}@${String(t['days'])}d`);
    return [`transitions=${transitions.join(',') || 'none'}`, fields(i, [['expireDays', 'rules.0.expiration.days']])].filter(Boolean).join(' ');
  },
  'aws:cloudwatch/logGroup:LogGroup': (i) => fields(i, [['name', 'name'], ['retentionDays', 'retentionInDays'], ['key', 'kmsKeyId']]),
  'aws:iam/role:Role': (i) => {
    const trust = parseJson(i['assumeRolePolicy']) as { Statement?: { Principal?: { Service?: string } }[] } | undefined;
    return `trusts=${trust?.Statement?.[0]?.Principal?.Service ?? '?'}`;
  },
  'aws:iam/rolePolicy:RolePolicy': (i) => policyActions(i['policy']),
  'aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream': (i) =>
    fields(i, [
      ['name', 'name'],
      ['source', 'kinesisSourceConfiguration.kinesisStreamArn'],
      ['prefix', 'extendedS3Configuration.prefix'],
      ['compression', 'extendedS3Configuration.compressionFormat'],
      ['bufferMb', 'extendedS3Configuration.bufferingSize'],
      ['bufferSeconds', 'extendedS3Configuration.bufferingInterval'],
      ['key', 'extendedS3Configuration.kmsKeyArn'],
    ]),
  'awsx:ec2:Vpc': (i) => {
    const subnets = ((i['subnetSpecs'] as Inputs[] | undefined) ?? []).map((s) => String(s['type'])).join('+');
    const endpoints = ((i['vpcEndpointSpecs'] as Inputs[] | undefined) ?? []).map((e) => String(e['serviceName']).split('.').pop()).join(',');
    return `${fields(i, [['cidr', 'cidrBlock'], ['zones', 'numberOfAvailabilityZones'], ['nat', 'natGateways.strategy']])} subnets=${subnets} gatewayEndpoints=${endpoints}`;
  },
  'aws:ec2/securityGroup:SecurityGroup': (i) => {
    const ingress = ((i['ingress'] as Inputs[] | undefined) ?? []).map(
      (r) => `${String(r['fromPort'])}<-${[...((r['cidrBlocks'] as string[] | undefined) ?? []), ...((r['securityGroups'] as string[] | undefined) ?? [])].join(',')}`,
    );
    const egress = ((i['egress'] as Inputs[] | undefined) ?? []).map((r) => `${String(r['toPort'])}->${((r['cidrBlocks'] as string[] | undefined) ?? []).join(',')}`);
    return `ingress=[${ingress.join(' ')}] egress=[${egress.join(' ')}]`;
  },
  'aws:ec2/vpcEndpoint:VpcEndpoint': (i) => fields(i, [['service', 'serviceName'], ['type', 'vpcEndpointType'], ['privateDns', 'privateDnsEnabled']]),
  'aws:elasticache/replicationGroup:ReplicationGroup': (i) =>
    fields(i, [
      ['id', 'replicationGroupId'],
      ['node', 'nodeType'],
      ['nodes', 'numCacheClusters'],
      ['multiAz', 'multiAzEnabled'],
      ['failover', 'automaticFailoverEnabled'],
      ['tls', 'transitEncryptionEnabled'],
      ['atRest', 'atRestEncryptionEnabled'],
      ['key', 'kmsKeyId'],
      ['authToken', 'authToken'],
    ]),
  'aws:elasticache/parameterGroup:ParameterGroup': (i) =>
    `${fields(i, [['family', 'family']])} ${((i['parameters'] as Inputs[] | undefined) ?? []).map((p) => `${String(p['name'])}=${String(p['value'])}`).join(' ')}`,
  'aws:secretsmanager/secret:Secret': (i) => fields(i, [['name', 'name'], ['key', 'kmsKeyId']]),
  'aws:secretsmanager/secretVersion:SecretVersion': (i) => fields(i, [['value', 'secretString']]),
  'aws:ecs/cluster:Cluster': (i) => `${fields(i, [['name', 'name']])} containerInsights=${String(get(i, 'settings.0.value'))}`,
  'awsx:ecr:Repository': (i) => fields(i, [['name', 'name']]),
  'awsx:ecr:Image': (i) => fields(i, [['context', 'context'], ['dockerfile', 'dockerfile'], ['platform', 'platform']]),
  'aws:ecs/taskDefinition:TaskDefinition': (i) => {
    const container = (parseJson(i['containerDefinitions']) as Inputs[] | undefined)?.[0] ?? {};
    const env = ((container['environment'] as Inputs[] | undefined) ?? []).length;
    const secrets = ((container['secrets'] as Inputs[] | undefined) ?? []).map((s) => String(s['name']));
    return `${fields(i, [['family', 'family'], ['cpu', 'cpu'], ['memory', 'memory']])} command="${((container['command'] as string[] | undefined) ?? []).join(' ')}" env=${env} secrets=${secrets.join(',') || 'none'} stopTimeout=${String(container['stopTimeout'])} healthCheck=${container['healthCheck'] === undefined ? 'no' : 'yes'}`;
  },
  'aws:ecs/service:Service': (i) =>
    fields(i, [
      ['name', 'name'],
      ['desiredCount', 'desiredCount'],
      ['publicIp', 'networkConfiguration.assignPublicIp'],
      ['minHealthy%', 'deploymentMinimumHealthyPercent'],
      ['max%', 'deploymentMaximumPercent'],
    ]),
  'aws:appautoscaling/target:Target': (i) => fields(i, [['resource', 'resourceId'], ['min', 'minCapacity'], ['max', 'maxCapacity']]),
  'aws:appautoscaling/policy:Policy': (i) => {
    const config = get(i, 'targetTrackingScalingPolicyConfiguration') as Inputs | undefined;
    const metric =
      get(config, 'predefinedMetricSpecification.predefinedMetricType') ??
      get(config, 'customizedMetricSpecification.metricName') ??
      ((get(config, 'customizedMetricSpecification.metrics') as Inputs[] | undefined) ?? []).map((m) => m['expression'] ?? m['id']).pop();
    return `${fields(i, [['name', 'name']])} metric=${String(metric)} target=${String(config?.['targetValue'])}`;
  },
  'aws:glue/catalogDatabase:CatalogDatabase': (i) => fields(i, [['name', 'name']]),
  'aws:glue/catalogTable:CatalogTable': (i) => {
    const columns = ((get(i, 'storageDescriptor.columns') as Inputs[] | undefined) ?? []).length;
    const partitions = ((i['partitionKeys'] as Inputs[] | undefined) ?? []).map((p) => String(p['name'])).join('/');
    return `${fields(i, [['name', 'name'], ['location', 'storageDescriptor.location'], ['serde', 'storageDescriptor.serDeInfo.serializationLibrary']])} columns=${columns} partitions=${partitions} projection=${String(get(i, 'parameters.projection.enabled') ?? (i['parameters'] as Inputs | undefined)?.['projection.enabled'])}`;
  },
  'aws:athena/workgroup:Workgroup': (i) =>
    fields(i, [
      ['name', 'name'],
      ['enforced', 'configuration.enforceWorkgroupConfiguration'],
      ['results', 'configuration.resultConfiguration.outputLocation'],
      ['encryption', 'configuration.resultConfiguration.encryptionConfiguration.encryptionOption'],
      ['key', 'configuration.resultConfiguration.encryptionConfiguration.kmsKeyArn'],
    ]),
  'aws:scheduler/schedule:Schedule': (i) => fields(i, [['name', 'name'], ['expression', 'scheduleExpression'], ['task', 'target.ecsParameters.taskDefinitionArn']]),
  'aws:sns/topic:Topic': (i) => fields(i, [['name', 'name'], ['key', 'kmsMasterKeyId']]),
  'aws:cloudwatch/metricAlarm:MetricAlarm': (i) =>
    `${fields(i, [['name', 'name'], ['metric', 'metricName'], ['stat', 'statistic']])}${i['metricQueries'] === undefined ? '' : ' metric=(math)'} ${String(i['comparisonOperator'])} ${String(i['threshold'])}`,
  'aws:cloudwatch/dashboard:Dashboard': (i) => `${fields(i, [['name', 'dashboardName']])} widgets=${String((parseJson(i['dashboardBody']) as { widgets?: unknown[] } | undefined)?.widgets?.length)}`,
};

/** The one-line summary of a resource's inputs; empty for types with nothing worth a line. */
export function summarize(resource: PlannedResource): string {
  const summary = SUMMARIES[resource.type];
  if (summary !== undefined) return summary(resource.inputs);
  return fields(resource.inputs, [['name', 'name'], ['bucket', 'bucket']]);
}

/** The resources as an indented tree under the stack: components first, then by type and name (stable for diffs). */
export function renderTree(resources: readonly PlannedResource[]): string {
  const children = new Map<string | undefined, PlannedResource[]>();
  for (const resource of resources) {
    const list = children.get(resource.parent) ?? [];
    list.push(resource);
    children.set(resource.parent, list);
  }
  for (const list of children.values()) {
    list.sort((a, b) => Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const resource of children.get(parent) ?? []) {
      const flags = [
        ...(resource.options.protect ? ['protect'] : []),
        ...(resource.options.ignoreChanges.length > 0 ? [`ignoreChanges=${resource.options.ignoreChanges.join(',')}`] : []),
      ];
      const summary = [summarize(resource), ...flags].filter((part) => part !== '').join(' ');
      lines.push(`${'  '.repeat(depth)}${resource.type} ${resource.name}${summary === '' ? '' : `  ${summary}`}`);
      walk(`${resource.type}::${resource.name}`, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
