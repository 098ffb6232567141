export * from './errors.js';
export * from './constants.js';
export * from './types.js';
export type { ShardConsumerOptions } from './consumer-options.js';
export type { KinesisProducerOptions } from './producer-options.js';
export type { Lease } from './lease.js';
export { LeaseAttribute } from './lease.js';
export { ShardConsumer } from './shard-consumer.js';
export { KinesisProducer } from './producer.js';
