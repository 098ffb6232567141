export * from './errors.js';
export * from './emulators.js';
export * from './start.js';
export * from './provision.js';
export * from './ports.js';
export { isProcessAlive, signalGroup } from './managed-process.js';
export * from './round-trip.js';
export * from './state.js';
