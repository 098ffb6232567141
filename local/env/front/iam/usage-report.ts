import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ContractRoleName } from '../../../../shared/iam/grants.js';
import { roleGrants } from '../../../../shared/iam/render.js';
import { refLabel } from '../../../../shared/iam/resources.js';
import { LOCAL_ROLES } from '../identities.js';
import { USAGE_FILE_PREFIX } from './iam-recorder.js';
import type { UsageEntry } from './iam-recorder.js';

/** One (role, grant, action, resource) of the contract and how often the recorded runs exercised it. */
export interface GrantUse {
  readonly role: ContractRoleName;
  readonly sid: string;
  readonly action: string;
  /** The contract's resource (`table:leases`). */
  readonly resource: string;
  readonly calls: number;
  /** Why the grant stays although no local front can see it used (KMS, CloudWatch Logs, Firehose's own calls). */
  readonly unobservedLocally?: string;
}

/**
 * Every grant of every local role (the Firehose stand-in's local extras included), each action on
 * each resource on its own, with the calls the recorded usage counts for it.
 */
export function grantUses(usage: readonly UsageEntry[], roles: readonly ContractRoleName[] = LOCAL_ROLES): GrantUse[] {
  const calls = new Map<string, number>();
  for (const entry of usage) {
    const key = `${entry.role}\u0000${entry.sid}\u0000${entry.action}\u0000${entry.resource}`;
    calls.set(key, (calls.get(key) ?? 0) + entry.calls);
  }
  return roles.flatMap((role) =>
    roleGrants(role, { localStandIn: true }).flatMap((grant) =>
      grant.actions.flatMap((action) =>
        grant.resources.map((ref) => {
          const resource = refLabel(ref);
          return {
            role,
            sid: grant.sid,
            action,
            resource,
            calls: calls.get(`${role}\u0000${grant.sid}\u0000${action}\u0000${resource}`) ?? 0,
            ...(grant.unobservedLocally === undefined ? {} : { unobservedLocally: grant.unobservedLocally }),
          };
        }),
      ),
    ),
  );
}

/** The newest run folder under `root` that recorded any usage (each mocha run records into one of its own). */
export function latestRecordDir(root: string): string | undefined {
  if (!existsSync(root)) return undefined;
  const runs = readdirSync(root)
    .map((name) => join(root, name))
    .filter((path) => statSync(path).isDirectory() && readdirSync(path).some((f) => f.startsWith(USAGE_FILE_PREFIX)))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return runs[0];
}

/** The report as text: per role, every grant never exercised, split into unjustified and unobservable-locally. */
export function formatGrantUses(uses: readonly GrantUse[]): string {
  const lines: string[] = [];
  const roles = [...new Set(uses.map((u) => u.role))];
  const unused = uses.filter((u) => u.calls === 0 && u.unobservedLocally === undefined);
  lines.push(`${uses.length} grants (action on resource) over ${roles.length} roles; ${uses.filter((u) => u.calls > 0).length} exercised, ${unused.length} never exercised, ${uses.filter((u) => u.calls === 0 && u.unobservedLocally !== undefined).length} not observable locally`);
  for (const role of roles) {
    const own = uses.filter((u) => u.role === role);
    lines.push('', `${role}: ${own.filter((u) => u.calls > 0).length} of ${own.length} exercised`);
    for (const u of own.filter((x) => x.calls === 0 && x.unobservedLocally === undefined)) lines.push(`  NEVER EXERCISED  ${u.sid}: ${u.action} on ${u.resource}`);
    const unobserved = own.filter((x) => x.calls === 0 && x.unobservedLocally !== undefined);
    for (const sid of [...new Set(unobserved.map((u) => u.sid))]) {
      const ofGrant = unobserved.filter((u) => u.sid === sid);
      lines.push(`  not observable   ${sid}: ${ofGrant.map((u) => `${u.action} on ${u.resource}`).join(', ')} (${ofGrant[0]?.unobservedLocally ?? ''})`);
    }
  }
  return lines.join('\n');
}
