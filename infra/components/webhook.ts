import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import { PIPELINE_METRICS, METRIC_STACK_DIMENSION } from '../../shared/metrics.js';
import type { Bounds, TaskSize } from '../config.js';
import type { StackContext } from '../context.js';
import { ComponentArgsError } from '../errors.js';
import { executionRoleStatements } from '../lib/permissions.js';
import type { SecretArns } from '../lib/permissions.js';
import { backlogPerTaskMetrics, serviceResourceId } from '../lib/scaling.js';
import { containerEnvironment, stackWorkerValues } from '../lib/task-environment.js';
import type { StackValues } from '../lib/task-environment.js';
import { privateReach } from '../lib/private-reach.js';
import { WorkerTask } from './worker-task.js';

/** Port the webhook container listens on (WEBHOOK_PORT's default). */
export const WEBHOOK_CONTAINER_PORT = 8082;
/** The one route the endpoint serves (`workers/webhook/receiver.ts`). */
export const WEBHOOK_ROUTE = 'POST /webhooks/transactions' as const;
/** Seconds between crawler scale-outs: a new crawler takes jobs within seconds of starting. */
const SCALE_OUT_COOLDOWN = 60;
/** Seconds between scale-ins: a sign-up wave comes in bursts; do not drain the fleet between them. */
const SCALE_IN_COOLDOWN = 300;

export interface WebhookArgs {
  readonly context: StackContext;
  readonly keyArn: pulumi.Input<string>;
  readonly clusterArn: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  /** The image every role runs. */
  readonly image: pulumi.Input<string>;
  readonly size: TaskSize;
  /** Webhook tasks; two keep the endpoint up through a task's replacement. */
  readonly desiredCount: number;
  readonly stopTimeoutSeconds: number;
  /** `pulumi up` waits until the service is steady and fails when it is not (the stack's setting, on in prod). @default false */
  readonly waitForSteadyState?: boolean;
  /** The values every role's environment is filled from (the webhook role keeps its own). */
  readonly values: pulumi.Output<StackValues>;
  readonly secretArns: pulumi.Input<SecretArns>;
  readonly vpcId: pulumi.Input<string>;
  /** Task subnets: the webhook tasks and the VPC link's interfaces. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The webhook role's own security group (from `Network`: egress to Redis, the endpoints and the broker only). */
  readonly securityGroupId: pulumi.Input<string>;
  /** The ECR repository the execution role pulls from. */
  readonly repositoryArn: pulumi.Input<string>;
  /** Requests per second the endpoint admits, and at once; over it API Gateway answers 429 and the broker delivers again. */
  readonly throttle: { readonly rate: number; readonly burst: number };
  /** The crawler service, scaled here on the sync backlog. */
  readonly crawler: { readonly serviceName: pulumi.Input<string>; readonly bounds: Bounds; readonly backlogPerTask: number };
  readonly alarms: {
    readonly topicArn: pulumi.Input<string>;
    /** Refused webhooks in five minutes before the alarm: forgery, a rotated key, clock skew. */
    readonly refusedPerFiveMinutes: number;
    /** Syncs waiting or running for 15 minutes before the alarm: the fleet is at its maximum or stuck. */
    readonly syncBacklog: number;
  };
  readonly metricsNamespace: string;
}

/**
 * The webhook path in AWS: an API Gateway HTTP API (managed TLS, throttling, access logs encrypted
 * with the project key) whose one route reaches the webhook tasks privately through a VPC link and
 * Cloud Map (SRV records of each task), the webhook role as its own Fargate service (a task role
 * with no policy: it makes no AWS call; its group admits only the VPC link, on its port), the
 * crawler service's scaling on the sync backlog (syncs waiting or running per crawler task), and
 * alarms on refused webhooks, the endpoint's 5xx answers and a sync backlog that does not drain.
 * The sync queue itself is BullMQ on the stack's ElastiCache (encrypted at rest and in transit,
 * token-authenticated; see `Queue`).
 *
 * @example
 * const webhook = new Webhook('webhook', { context, keyArn, clusterArn, clusterName, image, size, desiredCount: 2, ... });
 * webhook.endpoint; // https://<id>.execute-api.<region>.amazonaws.com/webhooks/transactions
 */
export class Webhook extends pulumi.ComponentResource {
  /** The URL to register with the aggregator as the webhook URL. */
  public readonly endpoint: pulumi.Output<string>;
  public readonly apiId: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  public readonly alarmNames: pulumi.Output<string>[];

  public constructor(name: string, args: WebhookArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:webhook:Webhook', name, {}, opts);
    const { context } = args;
    const parent = { parent: this };
    const prefix = `${PROJECT}-${context.stack}`;
    if (args.crawler.bounds.min < 1 || args.crawler.bounds.max < args.crawler.bounds.min) {
      throw new ComponentArgsError('Webhook', `crawler bounds must have 1 <= min <= max, got ${args.crawler.bounds.min}..${args.crawler.bounds.max}`);
    }
    if (args.desiredCount < 1) throw new ComponentArgsError('Webhook', `desiredCount must be at least 1, got ${args.desiredCount}`);

    // Private reach: API Gateway's VPC link → Cloud Map → the tasks, on the webhook port only.
    const { linkGroup, registry } = privateReach(name, { context, vpcId: args.vpcId, tasksGroupId: args.securityGroupId, port: WEBHOOK_CONTAINER_PORT, service: 'webhook', linkLabel: 'webhook' }, parent);

    const task = new WorkerTask(
      `${name}-task`,
      {
        context,
        role: 'webhook',
        size: args.size,
        image: args.image,
        keyArn: args.keyArn,
        environment: pulumi
          .all([args.values, pulumi.output(args.secretArns)])
          .apply(([values, secretArns]) => containerEnvironment('webhook', { ...stackWorkerValues(values), WEBHOOK_PORT: WEBHOOK_CONTAINER_PORT }, secretArns as SecretArns)),
        // The webhook role makes no AWS call (shared/iam/grants.ts): no task policy at all.
        taskStatements: [],
        executionStatements: (logGroupArn) =>
          pulumi
            .all([args.keyArn, args.repositoryArn, logGroupArn, pulumi.output(args.secretArns)])
            .apply(([keyArn, repositoryArn, logArn, secrets]) => executionRoleStatements('webhook', { keyArn, repositoryArn, logGroupArn: logArn, secrets: secrets as SecretArns })),
        stopTimeoutSeconds: args.stopTimeoutSeconds,
        service: {
          clusterArn: args.clusterArn,
          subnetIds: args.subnetIds,
          securityGroupIds: [args.securityGroupId],
          desiredCount: args.desiredCount,
          waitForSteadyState: args.waitForSteadyState ?? false,
          registry: { arn: registry.arn, port: WEBHOOK_CONTAINER_PORT },
        },
      },
      parent,
    );

    const link = new aws.apigatewayv2.VpcLink(`${name}-vpc-link`, { name: `${prefix}-webhook`, subnetIds: args.subnetIds, securityGroupIds: [linkGroup.id] }, parent);
    const api = new aws.apigatewayv2.Api(`${name}-api`, { name: `${prefix}-webhook`, protocolType: 'HTTP', description: `${prefix}: the aggregator's webhooks`, disableExecuteApiEndpoint: false }, parent);
    const integration = new aws.apigatewayv2.Integration(
      `${name}-integration`,
      { apiId: api.id, integrationType: 'HTTP_PROXY', integrationMethod: 'POST', connectionType: 'VPC_LINK', connectionId: link.id, integrationUri: registry.arn, payloadFormatVersion: '1.0', timeoutMilliseconds: 5_000 },
      parent,
    );
    new aws.apigatewayv2.Route(`${name}-route`, { apiId: api.id, routeKey: WEBHOOK_ROUTE, target: pulumi.interpolate`integrations/${integration.id}` }, parent);
    const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { name: `/${PROJECT}/${context.stack}/webhook-access`, retentionInDays: context.logRetentionDays, kmsKeyId: args.keyArn }, parent);
    const stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: api.id,
        name: '$default',
        autoDeploy: true,
        defaultRouteSettings: { throttlingRateLimit: args.throttle.rate, throttlingBurstLimit: args.throttle.burst },
        accessLogSettings: {
          destinationArn: accessLogs.arn,
          format: JSON.stringify({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', route: '$context.routeKey', status: '$context.status', latencyMs: '$context.integrationLatency', error: '$context.integrationErrorMessage' }),
        },
      },
      parent,
    );

    // The crawler fleet follows the sync backlog: syncs waiting or running per crawler task.
    const crawlerTarget = new aws.appautoscaling.Target(
      `${name}-crawler-scaling`,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.all([args.clusterName, args.crawler.serviceName]).apply(([cluster, service]) => serviceResourceId(cluster, service)),
        minCapacity: args.crawler.bounds.min,
        maxCapacity: args.crawler.bounds.max,
      },
      parent,
    );
    new aws.appautoscaling.Policy(
      `${name}-crawler-sync-backlog`,
      {
        name: `${prefix}-crawler-sync-backlog`,
        policyType: 'TargetTrackingScaling',
        serviceNamespace: crawlerTarget.serviceNamespace,
        scalableDimension: crawlerTarget.scalableDimension,
        resourceId: crawlerTarget.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: args.crawler.backlogPerTask,
          customizedMetricSpecification: {
            metrics: pulumi.all([args.clusterName, args.crawler.serviceName]).apply(([clusterName, serviceName]) =>
              syncBacklogPerTaskMetrics({ namespace: args.metricsNamespace, stack: context.stack, clusterName, serviceName }),
            ),
          },
          scaleOutCooldown: SCALE_OUT_COOLDOWN,
          scaleInCooldown: SCALE_IN_COOLDOWN,
        },
      },
      parent,
    );

    const stackDimension = { [METRIC_STACK_DIMENSION]: context.stack };
    const refused = new aws.cloudwatch.MetricAlarm(
      `${name}-refused`,
      {
        name: `${prefix}-webhooks-refused`,
        alarmDescription: 'Webhooks refused (unsigned, forged, stale or altered): an attack, a rotated key or clock skew; refused webhooks sync nothing',
        namespace: args.metricsNamespace,
        metricName: PIPELINE_METRICS.webhooksRefused,
        dimensions: stackDimension,
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: args.alarms.refusedPerFiveMinutes,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        alarmActions: [args.alarms.topicArn],
        okActions: [args.alarms.topicArn],
      },
      parent,
    );
    const errors = new aws.cloudwatch.MetricAlarm(
      `${name}-5xx`,
      {
        name: `${prefix}-webhook-5xx`,
        alarmDescription: 'The webhook endpoint answers 5xx (tasks down or the sync queue unreachable): the broker retries, syncs wait',
        namespace: 'AWS/ApiGateway',
        metricName: '5xx',
        dimensions: { ApiId: api.id, Stage: stage.name },
        statistic: 'Sum',
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        alarmActions: [args.alarms.topicArn],
        okActions: [args.alarms.topicArn],
      },
      parent,
    );
    const backlog = new aws.cloudwatch.MetricAlarm(
      `${name}-sync-backlog`,
      {
        name: `${prefix}-sync-backlog`,
        alarmDescription: 'Connection syncs pile up for 15 minutes: the crawler fleet is at its maximum, or the broker refuses it',
        namespace: args.metricsNamespace,
        metricName: PIPELINE_METRICS.syncBacklog,
        dimensions: stackDimension,
        statistic: 'Minimum',
        period: 300,
        evaluationPeriods: 3,
        threshold: args.alarms.syncBacklog,
        comparisonOperator: 'GreaterThanThreshold',
        // No crawler writing the metric is itself a failure of the sync path.
        treatMissingData: 'breaching',
        alarmActions: [args.alarms.topicArn],
        okActions: [args.alarms.topicArn],
      },
      parent,
    );

    this.endpoint = pulumi.interpolate`${api.apiEndpoint}${WEBHOOK_ROUTE.slice('POST '.length)}`;
    this.apiId = api.id;
    this.serviceName = task.serviceName as pulumi.Output<string>;
    this.alarmNames = [refused.name, errors.name, backlog.name];
    this.registerOutputs({ endpoint: this.endpoint, apiId: this.apiId, serviceName: this.serviceName, alarmNames: this.alarmNames });
  }
}

/** Syncs waiting or running (written by the crawlers, dimension Stack) per running crawler task (Container Insights). */
export function syncBacklogPerTaskMetrics(args: { namespace: string; stack: string; clusterName: string; serviceName: string }) {
  return backlogPerTaskMetrics({
    ...args,
    metricName: PIPELINE_METRICS.syncBacklog,
    stat: 'Maximum',
    labels: { backlog: 'Connection syncs waiting or running', tasks: 'Running crawler tasks', perTask: 'Connection syncs per crawler task' },
  });
}
