export * from './errors.js';
export * from './cursor.js';
export type { BrokerOptions } from './options.js';
export { resolveBrokerOptions } from './options.js';
export { defaultStartAt, splitLines } from './source.js';
export type { BrokerSource } from './source.js';
export { MockBroker, NDJSON, NEXT_CURSOR_HEADER, TRANSACTIONS_PATH, startBroker } from './server.js';
export type { BrokerHandle, BrokerStats } from './server.js';
