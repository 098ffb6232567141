import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where tests leave files for people to look at (browser screenshots): `TEST_OUTPUT_DIR`, else
 * `.local/test-output` in the repository (ignored by git). Created on first use.
 */
export function testOutputDir(...parts: string[]): string {
  const dir = join(process.env['TEST_OUTPUT_DIR'] ?? join(ROOT, '.local', 'test-output'), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A file name from a test's title: lower case, dashes, no more than 80 characters. */
export function fileNameOf(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}
