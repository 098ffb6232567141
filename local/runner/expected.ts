import { parseBrokerLine, transactionContentHash } from '../../shared/schemas/transaction.js';
import type { Transaction } from '../../shared/schemas/transaction.js';
import { RejectCode } from '../../shared/schemas/reject-codes.js';

/**
 * What a correct pipeline must make of a list of broker lines, worked out independently of the
 * workers: which transactions are accepted (the first of each id stands), which lines are exact
 * duplicates (change nothing), and which are rejected and why. The run summary compares the view
 * and the reject store against this.
 */
export interface ExpectedOutcome {
  readonly offered: number;
  /** Accepted transactions by id, as the broker sent them first. */
  readonly accepted: ReadonlyMap<string, Transaction>;
  /** Lines that repeat an accepted transaction exactly. */
  readonly deduplicated: number;
  /** Reject code per broker line index. */
  readonly rejected: ReadonlyMap<number, string>;
}

export function expectedOutcome(lines: readonly string[], now: Date = new Date()): ExpectedOutcome {
  const accepted = new Map<string, Transaction>();
  const hashes = new Map<string, string>();
  const rejected = new Map<number, string>();
  let deduplicated = 0;
  lines.forEach((line, index) => {
    const result = parseBrokerLine(line, now);
    if (!result.ok) {
      rejected.set(index, result.code);
      return;
    }
    const id = result.transaction.transactionId;
    const hash = transactionContentHash(result.transaction);
    const first = hashes.get(id);
    if (first === undefined) {
      hashes.set(id, hash);
      accepted.set(id, result.transaction);
    } else if (first === hash) {
      deduplicated += 1;
    } else {
      rejected.set(index, RejectCode.ConflictingDuplicate);
    }
  });
  return { offered: lines.length, accepted, deduplicated, rejected };
}
