import { execFileSync } from 'node:child_process';
import { ComponentArgsError } from '../errors.js';

/**
 * The worker image's tag: the commit it is built from. The repository's tags are immutable, so a
 * tag names one build for good and the task definitions, which pin the digest, can be traced back
 * to their commit. A build from a tree with uncommitted changes is not that commit: it gets a
 * `-dirty-<seconds>` suffix, never the commit's own tag.
 */

const COMMIT = /^[0-9a-f]{7,40}$/;

/** `<commit>` or `<commit>-dirty-<unix seconds>`; throws on anything that is not a commit id. */
export function imageTag(commit: string, dirtySince?: number): string {
  const id = commit.trim().toLowerCase();
  if (!COMMIT.test(id)) throw new ComponentArgsError('image', `the image tag must be a commit id (7 to 40 hex digits), got '${commit}'`);
  return dirtySince === undefined ? id : `${id}-dirty-${Math.floor(dirtySince / 1000)}`;
}

/**
 * The tag of the commit the program runs from: GITHUB_SHA in the workflow (its checkout is clean),
 * otherwise `git rev-parse HEAD` in the repository, marked dirty when `git status` lists changes.
 */
export function currentImageTag(cwd: string, env: NodeJS.ProcessEnv = process.env, now: () => number = Date.now): string {
  const fromCi = env['GITHUB_SHA'];
  if (fromCi !== undefined && fromCi !== '') return imageTag(fromCi);
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  let head: string;
  try {
    head = git('rev-parse', 'HEAD');
  } catch (error) {
    throw new ComponentArgsError('image', `cannot name the image by its commit: 'git rev-parse HEAD' failed in ${cwd} (${(error as Error).message.split('\n')[0] ?? ''}); set GITHUB_SHA`, { cause: error });
  }
  return imageTag(head, git('status', '--porcelain') === '' ? undefined : now());
}
