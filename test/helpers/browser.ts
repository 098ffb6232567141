import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it where missing. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Without the networking flags Chromium reaches for update, sync and field-trial hosts this
 * machine cannot reach (and a test must not depend on); headless without a sandbox, as root in CI.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export interface Browser {
  readonly context: BrowserContext;
  /** Closes Chromium and removes its profile; safe to call twice. */
  close(): Promise<void>;
}

export interface BrowserOptions {
  /** @default 1280 x 900 */
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Number and date formats the page uses. @default 'en-US' */
  readonly locale?: string;
}

/** Headless Chromium with a fresh profile (its own `--user-data-dir`), driven by playwright-core. */
export async function launchBrowser(options: BrowserOptions = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      viewport: { ...(options.viewport ?? { width: 1280, height: 900 }) },
      locale: options.locale ?? 'en-US',
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`Chromium did not start from ${CHROMIUM_PATH} (install it with 'apt-get install chromium', or set CHROMIUM_PATH)`, { cause: error });
  }
  let closing: Promise<void> | undefined;
  return {
    context,
    close: () => {
      closing ??= context.close().finally(() => rmSync(profile, { recursive: true, force: true }));
      return closing;
    },
  };
}
