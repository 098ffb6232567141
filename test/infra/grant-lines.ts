import type { Statement } from '../../shared/iam/policy.js';
import { resourcesOf } from '../../shared/iam/policy.js';

/** `arn:...:table/view` -> `view`, `arn:aws:s3:::rawArchive/raw/*` -> `rawArchive/raw/*`, `...:stream/raw/consumer/c:*` -> `raw/consumer/c:*`, `...:secret:x` -> `x`, `*` -> `*`. */
export function label(resource: string): string {
  if (resource === '*') return '*';
  const consumer = /:stream\/([^/]+\/consumer\/.+)$/.exec(resource);
  if (consumer?.[1] !== undefined) return consumer[1];
  if (resource.startsWith('arn:aws:s3:::')) return resource.slice('arn:aws:s3:::'.length);
  if (resource.includes(':secret:')) return resource.slice(resource.indexOf(':secret:') + ':secret:'.length);
  return resource.slice(resource.lastIndexOf('/') + 1);
}

/** Every statement flattened to `action on resource` lines, sorted: what a role may do, at a glance. */
export function grants(statements: readonly Statement[], labelOf: (resource: string) => string = label): string[] {
  const out: string[] = [];
  for (const statement of statements) for (const action of statement.Action) for (const resource of resourcesOf(statement)) out.push(`${action} on ${labelOf(resource)}`);
  return out.sort();
}
