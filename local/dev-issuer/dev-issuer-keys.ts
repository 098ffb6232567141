import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { DevIssuerKeyError } from './errors.js';

/** What Cognito signs with, so local tokens look like deployed ones. */
export const DEV_ISSUER_ALGORITHM = 'RS256' as const;
/** Keys published at once: the current one and the one before it, so tokens signed just before a rotation stay valid. */
export const PUBLISHED_KEYS = 2;
const KEY_FILE = 'keys.json';

interface KeyFile {
  /** Private JWKs, newest (the signing key) first. */
  readonly keys: readonly JWK[];
}

/** The key file of a keys folder. */
export function keyFile(dir: string): string {
  return join(dir, KEY_FILE);
}

async function newKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(DEV_ISSUER_ALGORITHM, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: DEV_ISSUER_ALGORITHM, use: 'sig' };
}

function write(dir: string, keys: readonly JWK[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a reader never sees half a file.
  const temporary = join(dir, `.${KEY_FILE}.${process.pid}.${randomUUID()}`);
  writeFileSync(temporary, `${JSON.stringify({ keys } satisfies KeyFile, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, keyFile(dir));
}

function read(dir: string): JWK[] | undefined {
  let text: string;
  try {
    text = readFileSync(keyFile(dir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DevIssuerKeyError(keyFile(dir), 'cannot be read', { cause: error });
  }
  try {
    const parsed = JSON.parse(text) as Partial<KeyFile>;
    if (!Array.isArray(parsed.keys) || parsed.keys.length === 0 || parsed.keys.some((k) => typeof k.kid !== 'string' || typeof k.d !== 'string')) {
      throw new Error('expected { keys: [private JWK with kid, ...] }');
    }
    return [...parsed.keys];
  } catch (error) {
    throw new DevIssuerKeyError(keyFile(dir), 'are not a key file this issuer wrote; delete the folder to start over', { cause: error });
  }
}

/**
 * The development issuer's private keys, kept in a folder of the local environment (mode 0600):
 * read when present, created on first use. Newest first; the first one signs.
 */
export async function loadOrCreateKeys(dir: string): Promise<JWK[]> {
  const existing = read(dir);
  if (existing !== undefined) return existing;
  const keys = [await newKey()];
  write(dir, keys);
  // Another process may have created the file at the same moment: whichever rename landed last wins for both.
  return read(dir) ?? keys;
}

/** A new signing key in front; the oldest beyond `PUBLISHED_KEYS` is dropped. Returns the new list. */
export async function rotateKeys(dir: string): Promise<JWK[]> {
  const keys = [await newKey(), ...(await loadOrCreateKeys(dir))].slice(0, PUBLISHED_KEYS);
  write(dir, keys);
  return keys;
}

/** The public half of a private JWK: what the JWKS publishes. */
export function publicJwk(key: JWK): JWK {
  const { kty, n, e, crv, x, y, kid, alg, use } = key;
  return Object.fromEntries(Object.entries({ kty, n, e, crv, x, y, kid, alg, use }).filter(([, v]) => v !== undefined)) as JWK;
}
