import type { AccessRequest, KinesisTarget } from '../types.js';

/** What a service parser makes of one HTTP request, before the principal is attached. */
export interface ParsedCall {
  readonly operation: string;
  readonly action: string;
  readonly access: readonly AccessRequest[];
  readonly json: () => unknown;
  readonly kinesis?: KinesisTarget;
}

/** Distinct resources of the access list, in order. */
export function resourcesOf(access: readonly AccessRequest[]): string[] {
  return [...new Set(access.map((a) => a.resource))];
}
