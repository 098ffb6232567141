import { appendFileSync } from 'node:fs';

/** One row of the fault suite's table. Times in ms; null where a figure does not apply. */
export interface ScenarioRow {
  readonly scenario: string;
  /** Broker lines offered (every kind: good, broken, duplicate). */
  readonly sent: number;
  /** Distinct accepted transactions in the view. */
  readonly inView: number;
  /** Rejects in the reject store. */
  readonly rejected: number;
  readonly lost: number;
  readonly doubleCounted: number;
  /** Broken lines whose reject is missing or has another code. */
  readonly rejectMismatches: number;
  /**
   * From the end of the fault until the last record it held up reached the view (a record is held
   * up when its ingest-to-view latency is well above what it was before the fault); null when
   * there is no fault in time (bad input, duplicates).
   */
  readonly recoveryMs: number | null;
  /** Scenario-specific figures (hand-off gap, throttled requests, kills). */
  readonly details: Readonly<Record<string, number | string>>;
  readonly durationMs: number;
}

/**
 * Where `npm run faults` collects the rows: it runs the suite with mocha and this variable set,
 * each scenario appends its row as a JSON line, and the command prints them as one table.
 */
export const FAULTS_REPORT_ENV = 'FAULTS_REPORT_FILE';

export function recordRow(row: ScenarioRow): void {
  const file = process.env[FAULTS_REPORT_ENV];
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify(row)}\n`);
}

const ms = (value: number | null): string => (value === null ? '—' : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`);

/** The rows as a fixed-width table for a terminal. */
export function scenarioTable(rows: readonly ScenarioRow[]): string {
  const header = ['scenario', 'sent', 'in view', 'rejected', 'lost', 'double-counted', 'recovery', 'details'];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.sent),
    String(r.inView),
    String(r.rejected),
    String(r.lost),
    String(r.doubleCounted),
    ms(r.recoveryMs),
    Object.entries(r.details)
      .map(([k, v]) => `${k} ${typeof v === 'number' && /Ms$/.test(k) ? ms(v) : v}`)
      .join(', '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((v, i) => (i >= 1 && i <= 6 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
