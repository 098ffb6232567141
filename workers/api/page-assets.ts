import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');

/** One file of the page, ready to send. */
export interface PageAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly cacheControl: string;
}

export interface PageAssetsOptions {
  /** Claim the page reads the user id from (the same one the API checks). */
  readonly userClaim: string;
  /** An identity provider's sign-in page; empty shows the token form only. */
  readonly signInUrl: string;
}

/**
 * The page's own headers: scripts, styles and fetches from this origin only, no framing, no
 * referrer (the token never travels in a URL the page requests, but a fragment-carrying page must
 * not leak its address either).
 */
export const PAGE_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function asset(body: Buffer, contentType: string, cacheControl: string): PageAsset {
  return { body, contentType, cacheControl, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/**
 * The insights page (`workers/api/page/`), read once at start-up: `index.html` with the claim and
 * sign-in URL filled in, and the script and style it loads. Paths are the ones the page names.
 */
export class PageAssets {
  private readonly assets: ReadonlyMap<string, PageAsset>;

  public constructor(options: PageAssetsOptions) {
    const read = (file: string) => readFileSync(join(PAGE_DIR, file));
    const html = read('index.html')
      .toString('utf8')
      .replace('{{USER_CLAIM}}', escapeAttribute(options.userClaim))
      .replace('{{SIGN_IN_URL}}', escapeAttribute(options.signInUrl));
    // The HTML is tiny and names no versioned assets, so every load revalidates (ETag makes it a 304).
    const revalidate = 'no-cache';
    this.assets = new Map([
      ['/', asset(Buffer.from(html), 'text/html; charset=utf-8', revalidate)],
      ['/assets/app.js', asset(read('app.js'), 'text/javascript; charset=utf-8', revalidate)],
      ['/assets/app.css', asset(read('app.css'), 'text/css; charset=utf-8', revalidate)],
    ]);
  }

  /** The asset served at `path`, if any (`/index.html` is the page too). */
  public get(path: string): PageAsset | undefined {
    return this.assets.get(path === '/index.html' ? '/' : path);
  }
}
