import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { StackFileError } from '../errors.js';

/**
 * Reads a stack file (`Pulumi.<stack>.yaml`) into the flat map Pulumi hands a program: every key
 * `namespace:key` to a string, objects and lists as JSON, and encrypted (`secure:`) values listed
 * apart because only the Pulumi CLI can decrypt them.
 */

// js-yaml comes with @pulumi/pulumi (it reads these files too); it ships no types, hence the shape.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

export interface StackFile {
  /** `namespace:key` to the value as Pulumi passes it to the program. */
  readonly config: Record<string, string>;
  /** Keys whose values are encrypted in the file (`secure: v1:...`). */
  readonly encryptedKeys: string[];
}

function isSecure(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'secure' in value;
}

export function parseStackFile(text: string, path = 'stack file'): StackFile {
  let document: unknown;
  try {
    document = yaml.load(text);
  } catch (error) {
    throw new StackFileError(path, `is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (document === undefined || document === null) return { config: {}, encryptedKeys: [] };
  if (typeof document !== 'object' || Array.isArray(document)) throw new StackFileError(path, 'must be a YAML mapping');
  const section = (document as Record<string, unknown>)['config'] ?? {};
  if (section === null || typeof section !== 'object' || Array.isArray(section)) throw new StackFileError(path, "'config' must be a mapping");
  const config: Record<string, string> = {};
  const encryptedKeys: string[] = [];
  for (const [key, value] of Object.entries(section)) {
    if (!key.includes(':')) throw new StackFileError(path, `config key '${key}' must be namespaced, like realtime-insights:${key}`);
    if (isSecure(value)) encryptedKeys.push(key);
    else config[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { config, encryptedKeys };
}

/** Reads a stack file; `known` (the stacks that have a file) makes a missing file's message name them. */
export function readStackFile(path: string, known?: readonly string[]): StackFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const hint = missing && known !== undefined ? `no such stack file; the stacks are ${known.join(', ')}` : `cannot be read: ${(error as Error).message}`;
    throw new StackFileError(path, hint, { cause: error });
  }
  return parseStackFile(text, path);
}
