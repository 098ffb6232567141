export * from './exit-code.js';
export * from './errors.js';
export * from './interrupts.js';
export * from './option-parsers.js';
export * from './pipes.js';
export * from './run-program.js';
export * from './temp-folder.js';
