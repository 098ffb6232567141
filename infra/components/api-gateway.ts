import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import type { ReadApiConfig } from '../config.js';
import type { StackContext } from '../context.js';
import { ComponentArgsError } from '../errors.js';
import { executionRoleStatements, taskRoleStatements } from '../lib/permissions.js';
import type { PipelineArns, SecretArns } from '../lib/permissions.js';
import { serviceResourceId } from '../lib/scaling.js';
import { containerEnvironment, stackWorkerValues } from '../lib/task-environment.js';
import type { StackValues } from '../lib/task-environment.js';
import { privateReach } from '../lib/private-reach.js';
import { WorkerTask } from './worker-task.js';

/** Port the api container listens on (API_PORT's default). */
export const API_CONTAINER_PORT = 8081;
/** The one route that returns data: behind the JWT authoriser. */
export const INSIGHTS_ROUTE = 'GET /users/{id}/insights' as const;
/** The insights page and its two files (`workers/api/page-assets.ts`): no data, so no authoriser; the page asks for a token itself. */
export const PAGE_ROUTES = ['GET /', 'GET /index.html', 'GET /assets/{file}'] as const;
/** Seconds between api scale-outs: a new task serves within seconds of starting. */
const SCALE_OUT_COOLDOWN = 60;
/** Seconds between scale-ins: reading is bursty (people open the app at the same hours). */
const SCALE_IN_COOLDOWN = 300;
/** The path Cognito (and any OIDC issuer) serves its signing keys under. */
const JWKS_PATH = '/.well-known/jwks.json';

export interface ApiGatewayArgs {
  readonly context: StackContext;
  readonly config: ReadApiConfig;
  readonly keyArn: pulumi.Input<string>;
  readonly clusterArn: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  /** The image every role runs. */
  readonly image: pulumi.Input<string>;
  readonly stopTimeoutSeconds: number;
  /** `pulumi up` waits until the service is steady and fails when it is not (the stack's setting, on in prod). @default false */
  readonly waitForSteadyState?: boolean;
  /** The values every role's environment is filled from (the identity provider is added here). */
  readonly values: pulumi.Output<StackValues>;
  /** The ARNs the api task role's grants name (the view table, the key). */
  readonly arns: pulumi.Output<PipelineArns>;
  readonly secretArns: pulumi.Input<SecretArns>;
  readonly vpcId: pulumi.Input<string>;
  /** Task subnets: the api tasks, the VPC link's interfaces and, for Cognito, its interface endpoint. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The api role's own security group (from `Network`: egress to the endpoints and DynamoDB only). */
  readonly securityGroupId: pulumi.Input<string>;
  readonly repositoryArn: pulumi.Input<string>;
  readonly alarmTopicArn: pulumi.Input<string>;
}

/**
 * The read path in AWS (issue 14): an API Gateway HTTP API, the stack's only public entry, whose
 * insights route is behind a JWT authoriser (the stack's Cognito user pool and app client, or an
 * external issuer from the stack config) and reaches the api tasks privately through a VPC link
 * and Cloud Map; the page routes carry no data and pass without a token. The api role runs as its
 * own Fargate service that admits only the link on its port, verifies every token again itself
 * (jose, the same issuer) and keeps its per-user token bucket; it scales on CPU. Access logs go to
 * a log group encrypted with the project key; the gateway throttles per route (all callers
 * together: HTTP APIs have no per-caller throttling) and a 5xx alarm watches it.
 *
 * @example
 * const readApi = new ApiGateway('read-api', { context, config: compute.readApi, keyArn, clusterArn, ... });
 * readApi.url; // https://<id>.execute-api.<region>.amazonaws.com/
 */
export class ApiGateway extends pulumi.ComponentResource {
  /** The page's URL (the insights route is `${url}users/<id>/insights`). */
  public readonly url: pulumi.Output<string>;
  public readonly apiId: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  /** The issuer and audience the authoriser and the api tasks accept. */
  public readonly issuer: pulumi.Output<string>;
  public readonly audience: pulumi.Output<string>;
  /** The Cognito user pool's id; undefined for an external issuer. */
  public readonly userPoolId: pulumi.Output<string> | undefined;

  public constructor(name: string, args: ApiGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:api:ApiGateway', name, {}, opts);
    const { context, config } = args;
    const parent = { parent: this };
    const prefix = `${PROJECT}-${context.stack}`;
    if (config.scaling.min < 1 || config.scaling.max < config.scaling.min) {
      throw new ComponentArgsError('ApiGateway', `scaling bounds must have 1 <= min <= max, got ${config.scaling.min}..${config.scaling.max}`);
    }

    // ---- Who signs the tokens: the stack's own user pool, or the configured issuer. ----
    const identity = this.identityProvider(name, args, prefix);

    // The api tasks fetch the signing keys themselves: Cognito through its interface endpoint in
    // the VPC (private DNS, so the public JWKS URL resolves to it), an external issuer on its ranges.
    if (config.identity === 'cognito') {
      const endpointGroup = new aws.ec2.SecurityGroup(
        `${name}-cognito-endpoint`,
        {
          vpcId: args.vpcId,
          description: `${prefix} Cognito endpoint: HTTPS from the api tasks only`,
          ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, securityGroups: [args.securityGroupId], description: 'api tasks (JWKS)' }],
          egress: [],
          tags: { Name: `${prefix}-cognito-endpoint` },
        },
        parent,
      );
      new aws.ec2.VpcEndpoint(
        `${name}-cognito`,
        {
          vpcId: args.vpcId,
          serviceName: `com.amazonaws.${context.region}.cognito-idp`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: args.subnetIds,
          securityGroupIds: [endpointGroup.id],
          tags: { Name: `${prefix}-cognito-idp` },
        },
        parent,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-to-cognito`,
        { securityGroupId: args.securityGroupId, referencedSecurityGroupId: endpointGroup.id, ipProtocol: 'tcp', fromPort: 443, toPort: 443, description: 'Cognito endpoint (JWKS)' },
        parent,
      );
    } else {
      const port = jwksPort(config.jwksUrl ?? '');
      config.jwksCidrs.forEach((range, index) => {
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-to-issuer-${index}`,
          { securityGroupId: args.securityGroupId, cidrIpv4: range, ipProtocol: 'tcp', fromPort: port, toPort: port, description: 'Identity provider (JWKS)' },
          parent,
        );
      });
    }

    // ---- Private reach: API Gateway's VPC link → Cloud Map → the api tasks, on the API port only. ----
    const { linkGroup, registry } = privateReach(name, { context, vpcId: args.vpcId, tasksGroupId: args.securityGroupId, port: API_CONTAINER_PORT, service: 'api', linkLabel: 'read API' }, parent);

    const task = new WorkerTask(
      `${name}-task`,
      {
        context,
        role: 'api',
        size: config.task,
        image: args.image,
        keyArn: args.keyArn,
        environment: pulumi
          .all([args.values, pulumi.output(args.secretArns), identity.issuer, identity.audience, identity.jwksUrl])
          .apply(([values, secretArns, issuer, audience, jwksUrl]) =>
            containerEnvironment(
              'api',
              {
                ...stackWorkerValues({ ...values, auth: { issuer, audience, jwksUrl, userClaim: config.userClaim } }),
                API_PORT: API_CONTAINER_PORT,
                API_USER_RATE_PER_SEC: config.perUser.rate,
                API_USER_BURST: config.perUser.burst,
              },
              secretArns as SecretArns,
            ),
          ),
        taskStatements: args.arns.apply((arns) => taskRoleStatements('api', arns)),
        executionStatements: (logGroupArn) =>
          pulumi
            .all([args.keyArn, args.repositoryArn, logGroupArn, pulumi.output(args.secretArns)])
            .apply(([keyArn, repositoryArn, logArn, secrets]) => executionRoleStatements('api', { keyArn, repositoryArn, logGroupArn: logArn, secrets: secrets as SecretArns })),
        stopTimeoutSeconds: args.stopTimeoutSeconds,
        service: {
          clusterArn: args.clusterArn,
          subnetIds: args.subnetIds,
          securityGroupIds: [args.securityGroupId],
          desiredCount: config.scaling.min,
          waitForSteadyState: args.waitForSteadyState ?? false,
          registry: { arn: registry.arn, port: API_CONTAINER_PORT },
        },
      },
      parent,
    );
    const serviceName = task.serviceName as pulumi.Output<string>;

    // ---- The gateway: routes, the JWT authoriser, throttling, access logs. ----
    const link = new aws.apigatewayv2.VpcLink(`${name}-vpc-link`, { name: `${prefix}-api`, subnetIds: args.subnetIds, securityGroupIds: [linkGroup.id] }, parent);
    const api = new aws.apigatewayv2.Api(`${name}-api`, { name: `${prefix}-api`, protocolType: 'HTTP', description: `${prefix}: the insights page and API` }, parent);
    const authorizer = new aws.apigatewayv2.Authorizer(
      `${name}-authorizer`,
      {
        apiId: api.id,
        name: `${prefix}-jwt`,
        authorizerType: 'JWT',
        identitySources: ['$request.header.Authorization'],
        jwtConfiguration: { issuer: identity.issuer, audiences: [identity.audience] },
      },
      parent,
    );
    const integration = new aws.apigatewayv2.Integration(
      `${name}-integration`,
      { apiId: api.id, integrationType: 'HTTP_PROXY', integrationMethod: 'GET', connectionType: 'VPC_LINK', connectionId: link.id, integrationUri: registry.arn, payloadFormatVersion: '1.0', timeoutMilliseconds: 5_000 },
      parent,
    );
    const target = pulumi.interpolate`integrations/${integration.id}`;
    new aws.apigatewayv2.Route(`${name}-insights`, { apiId: api.id, routeKey: INSIGHTS_ROUTE, target, authorizationType: 'JWT', authorizerId: authorizer.id }, parent);
    PAGE_ROUTES.forEach((routeKey, index) => {
      new aws.apigatewayv2.Route(`${name}-page-${index}`, { apiId: api.id, routeKey, target, authorizationType: 'NONE' }, parent);
    });
    const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { name: `/${PROJECT}/${context.stack}/api-access`, retentionInDays: context.logRetentionDays, kmsKeyId: args.keyArn }, parent);
    const stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: api.id,
        name: '$default',
        autoDeploy: true,
        // HTTP APIs throttle per route for all callers together; per user is the api task's token bucket.
        defaultRouteSettings: { throttlingRateLimit: config.throttle.rate, throttlingBurstLimit: config.throttle.burst, detailedMetricsEnabled: true },
        accessLogSettings: { destinationArn: accessLogs.arn, format: JSON.stringify(ACCESS_LOG_FORMAT) },
      },
      parent,
    );

    // ---- The api service follows its CPU; a 5xx alarm watches the gateway. ----
    const scaling = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.all([args.clusterName, serviceName]).apply(([cluster, service]) => serviceResourceId(cluster, service)),
        minCapacity: config.scaling.min,
        maxCapacity: config.scaling.max,
      },
      parent,
    );
    new aws.appautoscaling.Policy(
      `${name}-cpu`,
      {
        name: `${prefix}-api-cpu`,
        policyType: 'TargetTrackingScaling',
        serviceNamespace: scaling.serviceNamespace,
        scalableDimension: scaling.scalableDimension,
        resourceId: scaling.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: config.scaling.cpuPercent,
          predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          scaleOutCooldown: SCALE_OUT_COOLDOWN,
          scaleInCooldown: SCALE_IN_COOLDOWN,
        },
      },
      parent,
    );
    new aws.cloudwatch.MetricAlarm(
      `${name}-5xx`,
      {
        name: `${prefix}-api-5xx`,
        alarmDescription: 'The read API answers 5xx (api tasks down, the view or the identity provider unreachable): users see no insights',
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
        alarmActions: [args.alarmTopicArn],
        okActions: [args.alarmTopicArn],
      },
      parent,
    );

    this.url = pulumi.interpolate`${api.apiEndpoint}/`;
    this.apiId = api.id;
    this.serviceName = serviceName;
    this.issuer = identity.issuer;
    this.audience = identity.audience;
    this.userPoolId = identity.userPoolId;
    this.registerOutputs({ url: this.url, apiId: this.apiId, serviceName: this.serviceName, issuer: this.issuer, audience: this.audience, userPoolId: this.userPoolId });
  }

  private identityProvider(name: string, args: ApiGatewayArgs, prefix: string) {
    const { config, context } = args;
    if (config.identity === 'external') {
      if (config.issuer === undefined || config.audience === undefined || config.jwksUrl === undefined) {
        throw new ComponentArgsError('ApiGateway', 'an external identity provider needs issuer, audience and jwksUrl');
      }
      return { issuer: pulumi.output(config.issuer), audience: pulumi.output(config.audience), jwksUrl: pulumi.output(config.jwksUrl), userPoolId: undefined };
    }
    const pool = new aws.cognito.UserPool(
      `${name}-users`,
      {
        name: `${prefix}-users`,
        usernameAttributes: ['email'],
        autoVerifiedAttributes: ['email'],
        passwordPolicy: { minimumLength: 12, requireLowercase: true, requireUppercase: true, requireNumbers: true, requireSymbols: false, temporaryPasswordValidityDays: 3 },
        mfaConfiguration: 'OPTIONAL',
        softwareTokenMfaConfiguration: { enabled: true },
        accountRecoverySetting: { recoveryMechanisms: [{ name: 'verified_email', priority: 1 }] },
        deletionProtection: context.protect ? 'ACTIVE' : 'INACTIVE',
      },
      { parent: this, protect: context.protect },
    );
    const client = new aws.cognito.UserPoolClient(
      `${name}-app`,
      {
        name: `${prefix}-app`,
        userPoolId: pool.id,
        // A public client (the app, the page): no secret it could not keep.
        generateSecret: false,
        explicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        preventUserExistenceErrors: 'ENABLED',
        enableTokenRevocation: true,
        accessTokenValidity: 60,
        idTokenValidity: 60,
        refreshTokenValidity: 30,
        tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' },
      },
      { parent: this },
    );
    const issuer = pulumi.interpolate`https://${pool.endpoint}`;
    return { issuer, audience: client.id, jwksUrl: pulumi.interpolate`${issuer}${JWKS_PATH}`, userPoolId: pool.id };
  }
}

/** One JSON line per request: who (the token's subject, never the token), what, how it went. */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  route: '$context.routeKey',
  status: '$context.status',
  user: '$context.authorizer.claims.sub',
  authError: '$context.authorizer.error',
  latencyMs: '$context.responseLatency',
  integrationMs: '$context.integrationLatency',
  error: '$context.integrationErrorMessage',
} as const;

/** `https://idp.example/keys` -> 443, `https://idp.example:8443/keys` -> 8443. */
export function jwksPort(jwksUrl: string): number {
  const url = new URL(jwksUrl);
  return url.port === '' ? 443 : Number(url.port);
}
