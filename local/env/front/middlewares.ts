import { fanOutMiddleware } from './fan-out/fan-out-middleware.js';
import { iamMiddleware } from './iam/iam-middleware.js';
import { dynamoDbCapacityMiddleware } from './limits/dynamodb-capacity.js';
import { kinesisLimitsMiddleware } from './limits/kinesis-limits.js';
import type { MiddlewareFactory } from './types.js';

/**
 * Every front's chain, outermost first: IAM decides before anything is spent; enhanced fan-out
 * (stream consumers and SubscribeToShard, which kinesalite lacks) answers its own calls and sees
 * every write the guards let through, to push it to subscribers; the limit guards
 * (Kinesis shard limits, DynamoDB capacity) follow in the order AWS applies them; the forwarder to
 * the emulator ends the chain. A factory returns undefined on a front it has nothing to do with.
 */
export const FRONT_MIDDLEWARES: readonly MiddlewareFactory[] = [iamMiddleware, fanOutMiddleware(), kinesisLimitsMiddleware, dynamoDbCapacityMiddleware];
