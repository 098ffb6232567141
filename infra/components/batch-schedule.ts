import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../shared/catalog.js';
import type { StackContext } from '../context.js';
import { policyDocument, render, renderTrust, serviceTrust } from '../lib/iam.js';
import { schedulerStatements } from '../lib/permissions.js';

export interface BatchScheduleArgs {
  readonly context: StackContext;
  /** The project key: the dead-letter queue is encrypted with it. */
  readonly keyArn: pulumi.Input<string>;
  /** EventBridge Scheduler expression, `rate(1 hour)` or `cron(...)` (validated with the stack config). */
  readonly expression: string;
  readonly clusterArn: pulumi.Input<string>;
  readonly taskDefinitionArn: pulumi.Input<string>;
  /** `realtime-insights-<stack>-batch`; RunTask is granted on any revision of it. */
  readonly taskFamily: string;
  readonly taskRoleArn: pulumi.Input<string>;
  readonly executionRoleArn: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupId: pulumi.Input<string>;
}

/** Days a dead-letter event stays in the queue: SQS's longest, time to read why a run did not start. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

/**
 * The batch job's schedule: an EventBridge Scheduler schedule that runs the batch task on the
 * cluster as a private Fargate task, and the role it does that with (RunTask on the batch family
 * in this cluster, PassRole of the task's two roles to ECS only). A run the scheduler could not
 * start after its retries (RunTask refused, no capacity, a role it cannot pass) lands in an SQS
 * dead-letter queue encrypted with the project key; `Observability` alarms on it.
 *
 * Created as a child of `Analytics` once the task exists (the task's environment names the
 * analytics bucket, so the two cannot be built in one go); the aliases keep the resources the
 * schedule had when `Analytics` created it.
 *
 * @example
 * new BatchSchedule('analytics-batch', { context, expression: 'rate(1 hour)', clusterArn, ... }, { parent: analytics });
 */
export class BatchSchedule extends pulumi.ComponentResource {
  /** The schedule's name. */
  public readonly scheduleName: pulumi.Output<string>;
  /** The dead-letter queue's name: a message there is a run that never started. */
  public readonly deadLetterQueueName: pulumi.Output<string>;

  public constructor(name: string, args: BatchScheduleArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:analytics:BatchSchedule', name, {}, opts);
    const { context } = args;
    // Where these resources lived before: directly under the parent this component is given.
    const formerly = (formerName: string): pulumi.ComponentResourceOptions => (opts.parent === undefined ? {} : { aliases: [{ name: formerName, parent: opts.parent }] });

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `EventBridge Scheduler: run ${args.taskFamily} on the cluster`,
        assumeRolePolicy: pulumi.output(context.accountId).apply((accountId) => renderTrust(serviceTrust('scheduler.amazonaws.com', accountId))),
      },
      { parent: this, ...formerly('analytics-scheduler-role') },
    );
    const deadLetters = new aws.sqs.Queue(
      `${name}-dead-letters`,
      {
        name: `${PROJECT}-${context.stack}-batch-dead-letters`,
        kmsMasterKeyId: args.keyArn,
        // A data key is reused for up to a day: one schedule's failures need no KMS call per message.
        kmsDataKeyReusePeriodSeconds: 86_400,
        messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
      },
      { parent: this },
    );
    const familyArn = pulumi.interpolate`arn:${context.partition}:ecs:${context.region}:${context.accountId}:task-definition/${args.taskFamily}`;
    const policy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([familyArn, args.clusterArn, args.taskRoleArn, args.executionRoleArn, deadLetters.arn, args.keyArn])
          .apply(([taskDefinitionFamilyArn, clusterArn, taskRoleArn, executionRoleArn, queueArn, keyArn]) =>
            render(
              policyDocument(schedulerStatements({ taskDefinitionFamilyArn, clusterArn, passRoleArns: [taskRoleArn, executionRoleArn], deadLetter: { queueArn, keyArn } })),
            ),
          ),
      },
      { parent: this, ...formerly('analytics-scheduler-policy') },
    );
    const schedule = new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        name: `${PROJECT}-${context.stack}-batch`,
        description: 'Turns new raw archive objects into enriched Parquet',
        scheduleExpression: args.expression,
        scheduleExpressionTimezone: 'UTC',
        flexibleTimeWindow: { mode: 'OFF' },
        target: {
          arn: args.clusterArn,
          roleArn: role.arn,
          ecsParameters: {
            taskDefinitionArn: args.taskDefinitionArn,
            launchType: 'FARGATE',
            platformVersion: 'LATEST',
            taskCount: 1,
            networkConfiguration: { subnets: args.subnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
          },
          // The job is idempotent (it records which objects it has turned into Parquet), so a retry is safe.
          retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
          deadLetterConfig: { arn: deadLetters.arn },
        },
      },
      { parent: this, dependsOn: [policy], ...formerly('analytics-batch-schedule') },
    );

    this.scheduleName = schedule.name;
    this.deadLetterQueueName = deadLetters.name;
    this.registerOutputs({ scheduleName: this.scheduleName, deadLetterQueueName: this.deadLetterQueueName });
  }
}
