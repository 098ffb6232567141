import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { SignJWT, importJWK } from 'jose';
import type { JWK } from 'jose';
import { PROJECT } from '../../shared/catalog.js';
import type { WorkerVariable } from '../../shared/worker-env.js';
import { LOOPBACK } from '../env/ports.js';
import { DEV_ISSUER_ALGORITHM, loadOrCreateKeys, publicJwk, rotateKeys } from './dev-issuer-keys.js';

/**
 * The development issuer's `iss`. Stable across runs (the JWKS port is not), so a token minted by
 * `insights token` is good for any local environment of the same keys folder; `.localhost` is
 * reserved (RFC 6761), so it can never name a real issuer.
 */
export const DEV_ISSUER = 'https://dev-issuer.realtime-insights.localhost' as const;
/** Minted tokens live this long unless asked otherwise: about a working session. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
export const JWKS_PATH = '/.well-known/jwks.json';

/** The audience local tokens carry: the stack's app client, as a Cognito client id would be per stack. */
export function devAudience(stack: string): string {
  return `${PROJECT}-${stack}`;
}

/** Where `insights` keeps the development issuer's keys in a working folder (ignored by git). */
export function devIssuerKeysDir(cwd: string = process.cwd()): string {
  return join(cwd, '.local', 'dev-issuer');
}

export interface MintOptions {
  /** @default 3600 */
  readonly ttlSeconds?: number;
  /** Backdate a token (an expired one for tests). @default now */
  readonly issuedAt?: Date;
  /** @default the issuer's audience */
  readonly audience?: string;
  /** More claims (a custom user claim, `client_id` instead of `aud`). */
  readonly claims?: Record<string, unknown>;
}

export interface DevTokenSettings {
  readonly keysDir: string;
  readonly issuer: string;
  readonly audience: string;
}

/**
 * A signed token for `userId` (in `sub`) from the keys folder, with no server: what
 * `insights token` prints. The newest key signs.
 */
export async function mintDevToken(settings: DevTokenSettings, userId: string, options: MintOptions = {}): Promise<string> {
  const [key] = await loadOrCreateKeys(settings.keysDir);
  return sign(key!, settings, userId, options);
}

async function sign(key: JWK, settings: Omit<DevTokenSettings, 'keysDir'>, userId: string, options: MintOptions): Promise<string> {
  const issuedAt = Math.floor((options.issuedAt ?? new Date()).getTime() / 1000);
  const audience = options.audience ?? settings.audience;
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: DEV_ISSUER_ALGORITHM, kid: key.kid!, typ: 'JWT' })
    .setIssuer(settings.issuer)
    .setSubject(userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS));
  if (audience !== '') jwt.setAudience(audience);
  return jwt.sign(await importJWK(key, DEV_ISSUER_ALGORITHM));
}

export interface DevIssuerOptions {
  /** Folder of the private keys; created with a first key when empty. */
  readonly keysDir: string;
  readonly audience: string;
  /** @default DEV_ISSUER */
  readonly issuer?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

/**
 * The local environment's identity provider: publishes its public keys as a JWKS on loopback
 * (`/.well-known/jwks.json`, and an OpenID discovery document) and mints RS256 tokens as Cognito
 * would. The key file is read again on every JWKS request, so a rotation by another process
 * (or `rotate()`) is published at once.
 *
 * @example
 * const issuer = await DevIssuer.start({ keysDir, audience: devAudience('local') });
 * const token = await issuer.mint('user-1');
 * await issuer.close();
 */
export class DevIssuer {
  public readonly issuer: string;
  public readonly audience: string;
  public readonly jwksUrl: string;
  private readonly keysDir: string;
  private jwksRequests = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    options: DevIssuerOptions,
    port: number,
  ) {
    this.issuer = options.issuer ?? DEV_ISSUER;
    this.audience = options.audience;
    this.keysDir = options.keysDir;
    this.jwksUrl = `http://${LOOPBACK}:${port}${JWKS_PATH}`;
  }

  public static async start(options: DevIssuerOptions): Promise<DevIssuer> {
    await loadOrCreateKeys(options.keysDir);
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, LOOPBACK, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    const issuer = new DevIssuer(server, options, port);
    server.on('request', (request, response) => {
      void issuer.answer(request.url ?? '/').then(({ status, body, maxAge }) => {
        const text = JSON.stringify(body);
        response.writeHead(status, { 'content-type': 'application/json', 'cache-control': maxAge === undefined ? 'no-store' : `max-age=${maxAge}`, 'content-length': Buffer.byteLength(text) });
        response.end(text);
      });
    });
    return issuer;
  }

  /** The worker variables that point the api role at this issuer. */
  public get workerValues(): Partial<Record<WorkerVariable, string>> {
    return { AUTH_ISSUER: this.issuer, AUTH_AUDIENCE: this.audience, AUTH_JWKS_URL: this.jwksUrl };
  }

  /** JWKS fetches served so far (how often verifiers came back for keys). */
  public get stats(): { readonly jwksRequests: number } {
    return { jwksRequests: this.jwksRequests };
  }

  /** A token for `userId`, signed with the current key. */
  public mint(userId: string, options: MintOptions = {}): Promise<string> {
    return mintDevToken({ keysDir: this.keysDir, issuer: this.issuer, audience: this.audience }, userId, options);
  }

  /** A new signing key; the previous one stays published, so tokens it signed stay valid. */
  public async rotate(): Promise<void> {
    await rotateKeys(this.keysDir);
  }

  /** Stops serving the JWKS; the keys stay in their folder. Idempotent. */
  public close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async answer(url: string): Promise<{ status: number; body: unknown; maxAge?: number }> {
    const path = new URL(url, 'http://localhost').pathname;
    try {
      if (path === JWKS_PATH) {
        this.jwksRequests += 1;
        const keys = await loadOrCreateKeys(this.keysDir);
        return { status: 200, body: { keys: keys.map(publicJwk) }, maxAge: 60 };
      }
      if (path === '/.well-known/openid-configuration') {
        return { status: 200, body: { issuer: this.issuer, jwks_uri: this.jwksUrl, id_token_signing_alg_values_supported: [DEV_ISSUER_ALGORITHM] }, maxAge: 60 };
      }
      return { status: 404, body: { error: 'not-found', message: `no ${path} here; the keys are at ${JWKS_PATH}` } };
    } catch (error) {
      return { status: 500, body: { error: 'keys-unavailable', message: (error as Error).message } };
    }
  }
}
