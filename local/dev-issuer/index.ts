export * from './dev-issuer.js';
export * from './dev-issuer-keys.js';
export * from './errors.js';
