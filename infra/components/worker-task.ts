import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import type { WorkerRoleName } from '../../shared/worker-env.js';
import { workerNodeOptions } from '../../shared/worker-node-options.js';
import type { TaskSize } from '../config.js';
import type { StackContext } from '../context.js';
import { policyDocument, render, renderTrust, serviceTrust } from '../lib/iam.js';
import type { Statement } from '../lib/iam.js';
import type { ContainerEnvironment } from '../lib/task-environment.js';

/** Port of the worker's /health endpoint (HEALTH_PORT's default in the environment contract). */
export const HEALTH_PORT = 8080;

/** The slim image has no curl: Node's own fetch asks /health and exits 0 only on a 2xx. */
export function healthCheckCommand(port: number): string[] {
  return ['CMD', 'node', '-e', `fetch('http://localhost:${port}/health').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))`];
}

/** What the one image runs for a role: the compiled JavaScript (Dockerfile) after the role's node options for its task's memory, the role as the only argument. */
export function workerCommand(role: WorkerRoleName, taskMemoryMiB: number): string[] {
  return ['node', ...workerNodeOptions(role, { taskMemoryMiB }), 'workers/main.js', role];
}

export interface ContainerDefinitionArgs {
  readonly role: WorkerRoleName;
  /** The task definition's memory, MiB: some roles size their heap from it. */
  readonly taskMemoryMiB: number;
  readonly image: string;
  readonly region: string;
  readonly logGroupName: string;
  readonly environment: ContainerEnvironment;
  readonly stopTimeoutSeconds: number;
  /** Long-running services get a health check; one-shot tasks (batch, replay) do not. */
  readonly healthCheck: boolean;
  /** A port other tasks reach the container on (the webhook endpoint); none for the rest. */
  readonly port?: number;
}

/** The task's single container, as the ECS API wants it. */
export function containerDefinition(args: ContainerDefinitionArgs) {
  return {
    name: args.role,
    image: args.image,
    essential: true,
    command: workerCommand(args.role, args.taskMemoryMiB),
    environment: args.environment.environment,
    secrets: args.environment.secrets,
    stopTimeout: args.stopTimeoutSeconds,
    ...(args.port === undefined ? {} : { portMappings: [{ containerPort: args.port, protocol: 'tcp' }] }),
    ...(args.healthCheck ? { healthCheck: { command: healthCheckCommand(HEALTH_PORT), interval: 15, timeout: 5, retries: 3, startPeriod: 30 } } : {}),
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': args.logGroupName, 'awslogs-region': args.region, 'awslogs-stream-prefix': args.role },
    },
    ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 65536 }],
  };
}

export interface WorkerServiceOptions {
  readonly clusterArn: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Tasks at creation; autoscaling owns the count afterwards (drift in it is ignored). */
  readonly desiredCount: number;
  /**
   * Exactly one task at a time, also during deployments (the crawler holds a single broker cursor).
   * @default false
   */
  readonly singleton?: boolean;
  /**
   * `pulumi up` waits until the service is steady and fails when it is not. With the circuit
   * breaker's rollback a crash-looping deploy ends steady on the previous revision, so the deploy
   * workflow also checks that each service runs its family's latest revision.
   * @default false
   */
  readonly waitForSteadyState?: boolean;
  /**
   * Registers each task in this Cloud Map service (SRV records on `port`), so an API Gateway VPC
   * link can reach it (the webhook endpoint). @default none
   */
  readonly registry?: { readonly arn: pulumi.Input<string>; readonly port: number };
}

export interface WorkerTaskArgs {
  readonly context: StackContext;
  readonly role: WorkerRoleName;
  readonly size: TaskSize;
  readonly image: pulumi.Input<string>;
  readonly keyArn: pulumi.Input<string>;
  /** The container's environment from the worker environment contract. */
  readonly environment: pulumi.Input<ContainerEnvironment>;
  /** The task role's statements (what the worker's code may call). */
  readonly taskStatements: pulumi.Input<Statement[]>;
  /** The execution role's statements, given the role's own log group ARN. */
  readonly executionStatements: (logGroupArn: pulumi.Output<string>) => pulumi.Input<Statement[]>;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
  /** Run as a long-lived Fargate service; undefined for tasks started on demand or on a schedule. */
  readonly service?: WorkerServiceOptions;
}

/**
 * One worker role on Fargate: its log group (encrypted, with retention), a task role with exactly
 * the role's permissions, an execution role that pulls the image, writes logs and reads only this
 * role's secrets, the task definition, and for long-running roles the ECS service in the task
 * subnets. The service ignores `desiredCount` drift so `pulumi up` never undoes autoscaling.
 *
 * @example
 * new WorkerTask('dev-workers-scorer', { context, role: 'scorer', size, image, keyArn, environment, taskStatements, executionStatements, stopTimeoutSeconds: 60, service });
 */
export class WorkerTask extends pulumi.ComponentResource {
  /** Task definition family, `realtime-insights-<stack>-<role>`. */
  public readonly family: string;
  /** ARN of the latest task definition revision. */
  public readonly taskDefinitionArn: pulumi.Output<string>;
  public readonly taskRoleArn: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  /** The ECS service's name; undefined for on-demand or scheduled roles. */
  public readonly serviceName: pulumi.Output<string> | undefined;

  public constructor(name: string, args: WorkerTaskArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:workers:WorkerTask', name, {}, opts);
    const { context, role } = args;
    this.family = `${PROJECT}-${context.stack}-${role}`;
    const parent = { parent: this };

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/${PROJECT}/${context.stack}/${role}`, retentionInDays: context.logRetentionDays, kmsKeyId: args.keyArn },
      parent,
    );

    const trust = pulumi.all([context.accountId, context.partition]).apply(([accountId, partition]) =>
      renderTrust(serviceTrust('ecs-tasks.amazonaws.com', accountId, `arn:${partition}:ecs:${context.region}:${accountId}:*`)),
    );
    const taskRole = new aws.iam.Role(`${name}-task-role`, { description: `${this.family}: what the ${role} worker may call`, assumeRolePolicy: trust }, parent);
    // A role that makes no AWS call (the webhook endpoint) gets no policy at all: IAM refuses an empty one.
    const callsNothing = Array.isArray(args.taskStatements) && args.taskStatements.length === 0;
    if (!callsNothing) {
      new aws.iam.RolePolicy(
        `${name}-task-policy`,
        { role: taskRole.id, policy: pulumi.output(args.taskStatements).apply((statements) => render(policyDocument(statements as Statement[]))) },
        parent,
      );
    }
    const executionRole = new aws.iam.Role(
      `${name}-execution-role`,
      { description: `${this.family}: pull the image, write logs, read the ${role} secrets`, assumeRolePolicy: trust },
      parent,
    );
    const executionPolicy = new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        role: executionRole.id,
        policy: pulumi.output(args.executionStatements(logGroup.arn)).apply((statements) => render(policyDocument(statements as Statement[]))),
      },
      parent,
    );

    const containers = pulumi
      .all([args.image, logGroup.name, pulumi.output(args.environment)])
      .apply(([image, logGroupName, environment]) =>
        JSON.stringify([
          containerDefinition({
            role,
            taskMemoryMiB: args.size.memory,
            image,
            region: context.region,
            logGroupName,
            environment: environment as ContainerEnvironment,
            stopTimeoutSeconds: args.stopTimeoutSeconds,
            healthCheck: args.service !== undefined,
            ...(args.service?.registry === undefined ? {} : { port: args.service.registry.port }),
          }),
        ]),
      );
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: this.family,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: String(args.size.cpu),
        memory: String(args.size.memory),
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        taskRoleArn: taskRole.arn,
        executionRoleArn: executionRole.arn,
        containerDefinitions: containers,
      },
      // A task definition whose execution role cannot read its secrets fails only at start-up.
      { parent: this, dependsOn: [executionPolicy] },
    );

    if (args.service !== undefined) {
      const singleton = args.service.singleton ?? false;
      const service = new aws.ecs.Service(
        `${name}-service`,
        {
          name: this.family,
          cluster: args.service.clusterArn,
          taskDefinition: taskDefinition.arn,
          desiredCount: args.service.desiredCount,
          launchType: 'FARGATE',
          platformVersion: 'LATEST',
          networkConfiguration: { subnets: args.service.subnetIds, securityGroups: args.service.securityGroupIds, assignPublicIp: false },
          deploymentCircuitBreaker: { enable: true, rollback: true },
          ...(args.service.registry === undefined ? {} : { serviceRegistries: { registryArn: args.service.registry.arn, containerName: args.role, containerPort: args.service.registry.port } }),
          // A singleton stops the old task before the new one starts; the others roll with overlap.
          deploymentMinimumHealthyPercent: singleton ? 0 : 100,
          deploymentMaximumPercent: singleton ? 100 : 200,
          propagateTags: 'SERVICE',
          enableEcsManagedTags: true,
          waitForSteadyState: args.service.waitForSteadyState ?? false,
        },
        { parent: this, ignoreChanges: ['desiredCount'] },
      );
      this.serviceName = service.name;
    }

    this.taskDefinitionArn = taskDefinition.arn;
    this.taskRoleArn = taskRole.arn;
    this.executionRoleArn = executionRole.arn;
    this.logGroupName = logGroup.name;
    this.registerOutputs({
      taskDefinitionArn: this.taskDefinitionArn,
      taskRoleArn: this.taskRoleArn,
      executionRoleArn: this.executionRoleArn,
      logGroupName: this.logGroupName,
      serviceName: this.serviceName,
    });
  }
}
