import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrontServiceName } from '../types.js';

/** One refused call: who, what, on which resource, and the message the caller got. */
export interface Denial {
  readonly at: string;
  readonly service: FrontServiceName;
  readonly operation: string;
  /** `denied` by policy, `unrecognized` key id, `unsigned` request. */
  readonly kind: 'denied' | 'unrecognized' | 'unsigned';
  readonly stack: string | undefined;
  readonly role: string | undefined;
  readonly principal: string | undefined;
  readonly action: string;
  readonly resource: string;
  readonly message: string;
}

/** A grant a role exercised: the statement (by Sid) and the contract resource that allowed the call. */
export interface UsageEntry {
  readonly role: string;
  readonly sid: string;
  readonly action: string;
  /** The contract's resource, by logical name (`table:leases`), so records of every test stack add up. */
  readonly resource: string;
  readonly calls: number;
}

/** The usage file one front process writes: every (role, grant, action, resource) exercised. */
export interface UsageFile {
  readonly service: FrontServiceName;
  readonly pid: number;
  readonly writtenAt: string;
  readonly usage: readonly UsageEntry[];
}

/** In-memory denials kept for the control endpoint; the file keeps every one. */
const KEPT_DENIALS = 200;

export const USAGE_FILE_PREFIX = 'iam-usage-';
export const DENIALS_FILE_PREFIX = 'iam-denials-';

/**
 * What IAM decided, counted for the runner and the bench and, when a folder is given, written for
 * `npm run iam:report` and for test runs that fail on a denial: each denial as a JSON line the
 * moment it happens, the usage as one file rewritten on `flush()`.
 */
export class IamRecorder {
  private allowed = 0;
  private deniedCount = 0;
  private readonly kept: Denial[] = [];
  private readonly usage = new Map<string, { role: string; sid: string; action: string; resource: string; calls: number }>();
  private dirty = false;

  public constructor(
    private readonly service: FrontServiceName,
    private readonly recordDir: string | undefined,
  ) {
    if (recordDir !== undefined) mkdirSync(recordDir, { recursive: true });
  }

  public used(role: string, sid: string, action: string, resource: string): void {
    this.allowed += 1;
    const key = `${role}\u0000${sid}\u0000${action}\u0000${resource}`;
    const entry = this.usage.get(key);
    if (entry === undefined) {
      this.usage.set(key, { role, sid, action, resource, calls: 1 });
      this.dirty = true;
    } else entry.calls += 1;
  }

  /** A call allowed without a policy (the operator, or with IAM enforcement off). */
  public passed(): void {
    this.allowed += 1;
  }

  public denied(denial: Denial): void {
    this.deniedCount += 1;
    this.kept.push(denial);
    if (this.kept.length > KEPT_DENIALS) this.kept.shift();
    if (this.recordDir !== undefined) appendFileSync(join(this.recordDir, `${DENIALS_FILE_PREFIX}${this.service}-${process.pid}.jsonl`), `${JSON.stringify(denial)}\n`);
  }

  public stats(): { allowed: number; denied: number; denials: readonly Denial[] } {
    return { allowed: this.allowed, denied: this.deniedCount, denials: [...this.kept] };
  }

  /** Writes the usage file when something new was exercised since the last flush (always with `final`, for the call counts). */
  public flush(final = false): void {
    if (this.recordDir === undefined || (!this.dirty && !final) || this.usage.size === 0) return;
    this.dirty = false;
    const file: UsageFile = { service: this.service, pid: process.pid, writtenAt: new Date().toISOString(), usage: [...this.usage.values()] };
    writeFileSync(join(this.recordDir, `${USAGE_FILE_PREFIX}${this.service}-${process.pid}.json`), `${JSON.stringify(file)}\n`);
  }
}
