export * from './policy.js';
export * from './resources.js';
export * from './grants.js';
export * from './render.js';
export * from './arns.js';
