/**
 * Stable reject reason codes. Dashboards, alarms and tests key on these strings, so they never
 * change meaning; `missing-field:` and `bad-field:` are followed by the field's dotted path.
 */
export const RejectCode = {
  InvalidJson: 'invalid-json',
  NotAnObject: 'not-an-object',
  TooLarge: 'too-large',
  MissingField: 'missing-field',
  BadField: 'bad-field',
  BadAmount: 'bad-amount',
  UnknownCurrency: 'unknown-currency',
  BadDate: 'bad-date',
  FutureDate: 'future-date',
  ConflictingDuplicate: 'conflicting-duplicate',
  /** A raw-stream record that is not the envelope the crawler writes. */
  MalformedRecord: 'malformed-record',
  /** A record the scorer failed on after its retries and bisection. */
  Unscorable: 'unscorable',
  /** A record the projector could not write after its retries and bisection. */
  Unprojectable: 'unprojectable',
} as const;

export type RejectCodeValue = (typeof RejectCode)[keyof typeof RejectCode];

/** `missing-field:userId`, `bad-field:merchant.mcc`. */
export function fieldCode(code: typeof RejectCode.MissingField | typeof RejectCode.BadField, path: string): string {
  return `${code}:${path}`;
}
