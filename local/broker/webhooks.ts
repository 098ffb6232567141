import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { Random } from '../../models/synthetic/index.js';
import { BODY_HASH_CLAIM, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_SIGNING_ALG } from '../../shared/sync/webhook.js';
import type { WebhookBody } from '../../shared/sync/webhook.js';

/** What the broker does to its webhook deliveries, besides sending them. */
export interface WebhookFaultOptions {
  /** Share of webhooks sent twice (the second copy after its own delay), 0 to 1. @default 0 */
  readonly duplicateRate?: number;
  /** Each delivery waits a random time up to this before it goes: late, and so out of order. @default 0 ms */
  readonly maxDelayMs?: number;
}

export interface WebhookStats {
  /** Webhooks the broker decided to send (a duplicate counts once here). */
  readonly sent: number;
  readonly duplicated: number;
  /** Deliveries answered 2xx. */
  readonly delivered: number;
  /** Deliveries that failed for good (after the retries). */
  readonly failed: number;
  /** SYNC_UPDATES_AVAILABLE not sent because one for the connection was already on its way. */
  readonly coalesced: number;
}

type MutableStats = { -readonly [K in keyof WebhookStats]: WebhookStats[K] };

/** Deliveries answered otherwise than 2xx are tried this many times, a second apart (Plaid retries for a day). */
const DELIVERY_ATTEMPTS = 3;

/**
 * Signs and sends the broker's webhooks, as Plaid does: a JSON body, and in the
 * `broker-verification` header an ES256 JWT whose key id names a key of the broker's JWKS
 * (`GET /v1/webhook-keys`), with the body's SHA-256 and its issue time. Sends with the faults asked
 * for (duplicates, random delays that make deliveries late and reordered).
 */
export class WebhookSender {
  private readonly stats_: MutableStats = { sent: 0, duplicated: 0, delivered: 0, failed: 0, coalesced: 0 };
  private readonly random: Random;
  private readonly inFlight = new Set<Promise<void>>();
  /** Connections with a SYNC_UPDATES_AVAILABLE on its way: more changes ride on it (coalescing). */
  private readonly syncPending = new Set<string>();
  private closed = false;

  private constructor(
    private url: string | undefined,
    private readonly key: CryptoKey,
    private readonly jwk: JWK,
    private readonly faults: Required<WebhookFaultOptions>,
    seed: number,
  ) {
    this.random = new Random(seed, 0x5745424b);
  }

  public static async create(url: string | undefined, faults: WebhookFaultOptions, seed: number): Promise<WebhookSender> {
    const { privateKey, publicKey } = await generateKeyPair(WEBHOOK_SIGNING_ALG, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: randomUUID(), alg: WEBHOOK_SIGNING_ALG, use: 'sig' };
    return new WebhookSender(url, privateKey, jwk, { duplicateRate: faults.duplicateRate ?? 0, maxDelayMs: faults.maxDelayMs ?? 0 }, seed);
  }

  /** Where webhooks go from now on (the receiver may start after the broker). */
  public setUrl(url: string | undefined): void {
    this.url = url;
  }

  /** The JWKS the receiver verifies with. */
  public keys(): { keys: JWK[] } {
    return { keys: [this.jwk] };
  }

  public stats(): WebhookStats {
    return { ...this.stats_ };
  }

  /** Signs a body as the broker does (tests use it to forge late or tampered webhooks). */
  public async sign(body: string, issuedAt: Date = new Date()): Promise<string> {
    const hash = createHash('sha256').update(body).digest('hex');
    return new SignJWT({ [BODY_HASH_CLAIM]: hash })
      .setProtectedHeader({ alg: WEBHOOK_SIGNING_ALG, kid: this.jwk.kid as string, typ: 'JWT' })
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .sign(this.key);
  }

  /**
   * Sends a webhook (nothing when the broker has no webhook URL). A SYNC_UPDATES_AVAILABLE for a
   * connection that already has one on its way is coalesced into it, as aggregators do.
   */
  public send(body: WebhookBody): void {
    if (this.url === undefined || this.closed) return;
    const coalescing = body.webhook_code === 'SYNC_UPDATES_AVAILABLE';
    if (coalescing) {
      if (this.syncPending.has(body.item_id)) {
        this.stats_.coalesced += 1;
        return;
      }
      this.syncPending.add(body.item_id);
    }
    this.stats_.sent += 1;
    const copies = this.random.next() < this.faults.duplicateRate ? 2 : 1;
    if (copies === 2) this.stats_.duplicated += 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const delay = this.faults.maxDelayMs > 0 ? Math.floor(this.random.next() * this.faults.maxDelayMs) : 0;
      const delivery = this.deliver(body, delay, () => {
        // The coalescing window closes when the first copy is sent: later changes need a webhook of their own.
        if (coalescing && copy === 0) this.syncPending.delete(body.item_id);
      });
      this.inFlight.add(delivery);
      void delivery.finally(() => this.inFlight.delete(delivery));
    }
  }

  /** Waits for deliveries under way; no new ones are sent. */
  public async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(body: WebhookBody, delayMs: number, onSend: () => void): Promise<void> {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    onSend();
    const text = JSON.stringify(body);
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS && !this.closed; attempt += 1) {
      try {
        // Signed at sending time: a retried delivery carries a fresh issue time, as Plaid's do.
        const jwt = await this.sign(text);
        const response = await fetch(this.url as string, { method: 'POST', headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: jwt }, body: text, signal: AbortSignal.timeout(10_000) });
        await response.body?.cancel().catch(() => undefined);
        if (response.ok) {
          this.stats_.delivered += 1;
          return;
        }
      } catch {
        // The receiver is down or slow: try again below.
      }
      if (attempt < DELIVERY_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    this.stats_.failed += 1;
  }
}
