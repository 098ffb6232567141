import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_TOKEN_TTL_SECONDS, DEV_ISSUER, devAudience, devIssuerKeysDir, mintDevToken } from '../../local/dev-issuer/index.js';
import { readState } from '../../local/env/state.js';
import { USER_ID } from '../../workers/api/insights-query.js';
import { output } from '../progress.js';

interface TokenFlags {
  ttl: number;
  stack?: string;
  keys?: string;
  json?: boolean;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 86_400) throw new InvalidArgumentError('must be a whole number of seconds from 1 to 86400');
  return n;
}

function userId(value: string): string {
  if (!USER_ID.test(value)) throw new InvalidArgumentError('must be 1 to 64 characters of [A-Za-z0-9_-]');
  return value;
}

/**
 * A token of the local development issuer for one user: its keys live in `.local/dev-issuer/`
 * (the folder every environment `insights` starts here uses), its audience is the stack's (the
 * kept environment's, else `--stack`, else `local`). Prints the token alone, for `$(...)`.
 */
async function token(user: string, flags: TokenFlags): Promise<void> {
  const kept = readState();
  const stack = flags.stack ?? kept?.stack ?? 'local';
  const audience = (flags.stack === undefined ? kept?.workerEnv['AUTH_AUDIENCE'] : undefined) ?? devAudience(stack);
  const settings = { keysDir: flags.keys ?? devIssuerKeysDir(), issuer: DEV_ISSUER, audience };
  const jwt = await mintDevToken(settings, user, { ttlSeconds: flags.ttl });
  const expiresAt = new Date(Date.now() + flags.ttl * 1000).toISOString();
  output(!!flags.json, { token: jwt, userId: user, issuer: settings.issuer, audience, expiresAt }, () => console.log(jwt));
}

/** `insights token USER_ID [--ttl SECONDS] [--stack NAME] [--keys DIR] [--json]`. */
export function tokenCommand(): Command {
  return new Command('token')
    .description("mint a bearer token of the local development issuer for one user (for the read API and the insights page)")
    .argument('<userId>', 'the user the token speaks for (its sub claim)', userId)
    .option('--ttl <seconds>', 'how long the token is valid', seconds, DEFAULT_TOKEN_TTL_SECONDS)
    .option('--stack <name>', 'stack whose audience the token carries (default: the kept local environment, else local)')
    .option('--keys <dir>', "the issuer's keys folder (default: .local/dev-issuer)")
    .option('--json', 'print the token with its user, issuer, audience and expiry as JSON')
    .action((user: string, flags: TokenFlags) => token(user, flags));
}
