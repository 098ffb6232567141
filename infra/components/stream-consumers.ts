import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { STREAM_CONSUMERS } from '../../shared/catalog.js';
import type { StreamConsumerName, StreamName } from '../../shared/catalog.js';
import type { StackContext } from '../context.js';

export interface StreamConsumersArgs {
  readonly context: StackContext;
  /** The streams' ARNs, from the `Streams` component. */
  readonly streamArns: Readonly<Record<StreamName, pulumi.Input<string>>>;
}

/**
 * The catalog's registered stream consumers (`STREAM_CONSUMERS`): enhanced fan-out for the live
 * lane's readers, each with a read pipe of its own (2 MiB/s per shard) and records pushed in about
 * 70 ms instead of polled. Each costs per consumer-shard hour and per GB read, which the capacity
 * table of `npm run bench` counts. The streams delete their consumers with them
 * (`enforceConsumerDeletion`), so a stack comes down in one `destroy`; a consumer holds no data,
 * so it is never protected.
 *
 * @example
 * const consumers = new StreamConsumers('stream-consumers', { context, streamArns });
 * consumers.arns.rawReader; // RAW_CONSUMER_ARN of the stream-reader, and its SubscribeToShard grant
 */
export class StreamConsumers extends pulumi.ComponentResource {
  /** Each consumer's ARN (it ends in the registration's time, so it is only known once created). */
  public readonly arns: Readonly<Record<StreamConsumerName, pulumi.Output<string>>>;

  public constructor(name: string, args: StreamConsumersArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('realtime-insights:streams:StreamConsumers', name, {}, opts);
    const make = (logical: StreamConsumerName): pulumi.Output<string> => {
      const spec = STREAM_CONSUMERS[logical];
      return new aws.kinesis.StreamConsumer(`${name}-${logical}`, { name: spec.consumerName, streamArn: args.streamArns[spec.stream] }, { parent: this }).arn;
    };
    this.arns = { rawReader: make('rawReader'), resultsProjector: make('resultsProjector') };
    this.registerOutputs({ arns: this.arns });
  }
}
