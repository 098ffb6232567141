import type * as pulumi from '@pulumi/pulumi';

/** What every component needs to know about the stack it is part of. */
export interface StackContext {
  readonly stack: string;
  readonly region: string;
  readonly accountId: pulumi.Input<string>;
  /** `aws` in the commercial partition. */
  readonly partition: pulumi.Input<string>;
  /** Stateful resources get `protect` and deletion protection (prod). */
  readonly protect: boolean;
  /** Buckets, repositories and secrets may be deleted with their contents (dev). */
  readonly forceDestroy: boolean;
  /** CloudWatch Logs retention of every log group, in days. */
  readonly logRetentionDays: number;
}
