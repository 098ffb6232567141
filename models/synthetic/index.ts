export { AnomalyKind, DEFAULT_GENERATE_OPTIONS, generateTransactions, transactionStream } from './generate.js';
export type { AnomalyKindValue, GenerateOptions, LabelledTransaction, TransactionLabel } from './generate.js';
export { Random } from './random.js';
