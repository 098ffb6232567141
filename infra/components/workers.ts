import * as aws from '@pulumi/aws';
import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import { SERVICE_ROLES, TASK_ROLES } from '../config.js';
import type { ServiceRole, TaskRole, TaskSize } from '../config.js';
import type { StackContext } from '../context.js';
import { executionRoleStatements, taskRoleStatements } from '../lib/permissions.js';
import type { PipelineArns, SecretArns } from '../lib/permissions.js';
import { containerEnvironment, stackWorkerValues } from '../lib/task-environment.js';
import type { StackValues } from '../lib/task-environment.js';
import { ComponentArgsError } from '../errors.js';
import { WorkerTask } from './worker-task.js';

/** Where the one image of every role is built from (relative to the Pulumi program's directory). */
export interface ImageSource {
  /** Docker build context: the repository root. */
  readonly context: string;
  readonly dockerfile: string;
  /** @default 'linux/amd64' (the task definitions run X86_64) */
  readonly platform?: string;
  /** The image's tag: the commit it is built from (`imageTag()`); tags are immutable. */
  readonly tag: string;
}

/** Images the repository keeps (the newest by push time): room to roll back many deploys, not a growing bill. */
export const IMAGES_KEPT = 30;

/**
 * The repository's lifecycle: an untagged layer list (a failed or superseded push) goes after a
 * day; of the tagged images, the newest `kept` stay. Rules with `tagStatus: any` must come last.
 */
export function imageLifecyclePolicy(kept: number) {
  return {
    rules: [
      {
        rulePriority: 1,
        description: 'Untagged images expire after a day',
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: `Keep the newest ${kept} images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: kept },
        action: { type: 'expire' },
      },
    ],
  };
}

export interface WorkersArgs {
  readonly context: StackContext;
  readonly keyArn: pulumi.Input<string>;
  readonly image: ImageSource;
  readonly tasks: Readonly<Record<TaskRole, TaskSize>>;
  /** Tasks each service starts with (autoscaling takes over from there). */
  readonly initialCount: Readonly<Record<ServiceRole, number>>;
  readonly stopTimeoutSeconds: number;
  /** Whether `pulumi up` waits for each service to be steady (and fails when one is not). @default false */
  readonly waitForSteadyState?: boolean;
  /** Names, URLs and settings every role's environment is filled from (Outputs of the resources they name). */
  readonly values: pulumi.Output<StackValues>;
  /** The ARNs the task roles' permissions name (Outputs of the resources themselves). */
  readonly arns: pulumi.Output<PipelineArns>;
  /** Secrets Manager ARNs of BROKER_API_KEY and REDIS_AUTH_TOKEN. */
  readonly secretArns: pulumi.Input<SecretArns>;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Each role's own security group (see `Network`). */
  readonly securityGroupIds: Readonly<Record<TaskRole, pulumi.Input<string>>>;
}

/**
 * The compute plane: an ECS cluster with Container Insights, one image for every role built from
 * the repository's Dockerfile into the stack's ECR repository, a Fargate service per long-running
 * role (crawler, stream-reader, scorer, projector) and task definitions for the scheduled batch
 * job and on-demand replay. Every role gets its own task and execution roles (see `WorkerTask`).
 *
 * @example
 * const workers = new Workers('dev-workers', { context, keyArn, image, tasks, initialCount, stopTimeoutSeconds, values, arns, secretArns, subnetIds, securityGroupIds });
 * workers.serviceNames.scorer;
 */
export class Workers extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly clusterArn: pulumi.Output<string>;
  /** The image every role runs, pinned by digest. */
  public readonly imageUri: pulumi.Output<string>;
  /** The stack's ECR repository (what an execution role pulls from). */
  public readonly repositoryArn: pulumi.Output<string>;
  /** One `WorkerTask` per role with a task definition. */
  public readonly tasks: Readonly<Record<TaskRole, WorkerTask>>;
  /** ECS service names of the long-running roles. */
  public readonly serviceNames: Readonly<Record<ServiceRole, pulumi.Output<string>>>;

  public constructor(name: string, args: WorkersArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:workers:Workers', name, {}, opts);
    const { context } = args;
    const clusterName = `${PROJECT}-${context.stack}`;

    const cluster = new aws.ecs.Cluster(`${name}-cluster`, { name: clusterName, settings: [{ name: 'containerInsights', value: 'enabled' }] }, { parent: this });

    // awsx's Repository component created both under its own name: the aliases adopt them in place.
    const formerlyInAwsx = [{ parent: pulumi.createUrn(`${name}-repository`, 'awsx:ecr:Repository', this) }];
    // A plain repository (not awsx's component) so its settings are visible to the policy pack and the plan.
    const repository = new aws.ecr.Repository(
      `${name}-repository`,
      {
        name: `${PROJECT}-${context.stack}`,
        forceDelete: context.forceDestroy,
        // A tag names one build for good: the commit's tag cannot be pushed over.
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
      },
      { parent: this, aliases: formerlyInAwsx },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-repository`,
      { repository: repository.name, policy: JSON.stringify(imageLifecyclePolicy(IMAGES_KEPT)) },
      { parent: this, aliases: formerlyInAwsx },
    );
    const image = new awsx.ecr.Image(
      `${name}-image`,
      {
        repositoryUrl: repository.repositoryUrl,
        imageTag: args.image.tag,
        context: args.image.context,
        dockerfile: args.image.dockerfile,
        platform: args.image.platform ?? 'linux/amd64',
      },
      { parent: this },
    );
    const repositoryArn = repository.arn;

    const tasks = {} as Record<TaskRole, WorkerTask>;
    for (const role of TASK_ROLES) {
      const isService = (SERVICE_ROLES as readonly string[]).includes(role);
      tasks[role] = new WorkerTask(
        `${name}-${role}`,
        {
          context,
          role,
          size: args.tasks[role],
          image: image.imageUri,
          keyArn: args.keyArn,
          environment: pulumi
            .all([args.values, pulumi.output(args.secretArns)])
            .apply(([values, secretArns]) => containerEnvironment(role, stackWorkerValues(values), secretArns as SecretArns)),
          taskStatements: args.arns.apply((arns) => taskRoleStatements(role, arns)),
          executionStatements: (logGroupArn) =>
            pulumi
              .all([args.keyArn, repositoryArn, logGroupArn, pulumi.output(args.secretArns)])
              .apply(([keyArn, repoArn, logArn, secrets]) =>
                executionRoleStatements(role, { keyArn, repositoryArn: repoArn, logGroupArn: logArn, secrets: secrets as SecretArns }),
              ),
          stopTimeoutSeconds: args.stopTimeoutSeconds,
          ...(isService
            ? {
                service: {
                  clusterArn: cluster.arn,
                  subnetIds: args.subnetIds,
                  securityGroupIds: [args.securityGroupIds[role]],
                  desiredCount: args.initialCount[role as ServiceRole],
                  waitForSteadyState: args.waitForSteadyState ?? false,
                  // The crawlers are a fleet on the sync queue (each connection fenced by its own run), no singleton.
                },
              }
            : {}),
        },
        { parent: this },
      );
    }

    const serviceName = (role: ServiceRole): pulumi.Output<string> => {
      const value = tasks[role].serviceName;
      if (value === undefined) throw new ComponentArgsError('Workers', `${role} must run as a service`);
      return value;
    };
    this.clusterName = cluster.name;
    this.clusterArn = cluster.arn;
    this.imageUri = image.imageUri;
    this.repositoryArn = repositoryArn;
    this.tasks = tasks;
    this.serviceNames = {
      crawler: serviceName('crawler'),
      'stream-reader': serviceName('stream-reader'),
      scorer: serviceName('scorer'),
      projector: serviceName('projector'),
    };
    this.registerOutputs({ clusterName: this.clusterName, clusterArn: this.clusterArn, imageUri: this.imageUri, serviceNames: this.serviceNames });
  }
}
