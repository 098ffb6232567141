/**
 * The insights view: its item model (one item per version of a transaction, keyed by user and
 * local month), the rule that collapses versions into what the view shows, and the read model
 * every reader uses. See README.md.
 */
export * from './collapse.js';
export * from './errors.js';
export * from './insights.js';
export * from './item-size.js';
export * from './keys.js';
export * from './month-query.js';
export * from './months.js';
export * from './read-insights.js';
export * from './scan-view.js';
export * from './version.js';
