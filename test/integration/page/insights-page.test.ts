import { expect } from 'chai';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SignJWT, generateKeyPair } from 'jose';
import type { LocalEnv } from '../../../local/env/index.js';
import type { ScoredResult } from '../../../shared/schemas/scored-result.js';
import { ApiServer } from '../../../workers/api/api-server.js';
import { TokenVerifier } from '../../../workers/api/auth/token-verifier.js';
import { InsightsQuery } from '../../../workers/api/insights-query.js';
import type { UserInsights } from '../../../workers/api/insights-query.js';
import { PageAssets } from '../../../workers/api/page-assets.js';
import { utcInstant } from '../../../shared/view/months.js';
import { ViewWriter } from '../../../workers/projector/view-writer.js';
import { launchBrowser } from '../../helpers/browser.js';
import type { Browser } from '../../helpers/browser.js';
import { getLocalEnv } from '../../helpers/local-env.js';
import { fileNameOf, testOutputDir } from '../../helpers/test-output.js';
import { createStackView } from '../api/stack-view.js';
import type { StackView } from '../api/stack-view.js';
import { scoredHistory } from './scored-history.js';

/** The page asks for this many recent transactions. */
const PAGE_RECENT_LIMIT = 50;

/**
 * Browser-side code as source text: what tsx compiles for Node carries helpers (`__name`) the
 * page does not have, and the project's types have no DOM.
 */
const PAGE_LAYOUT = '({ scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth })';
const STORED_TOKEN = "sessionStorage.getItem('insights.token')";
/** WCAG 2 contrast ratio of each selector's text colour against the first opaque background behind it. */
const CONTRASTS = `(() => {
  const rgb = (color) => (color.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map(Number);
  const channel = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (element) => {
    for (let node = element; node !== null; node = node.parentElement) {
      const color = getComputedStyle(node).backgroundColor;
      if (color !== 'rgba(0, 0, 0, 0)' && color !== 'transparent') return color;
    }
    return 'rgb(255, 255, 255)';
  };
  return ['h1', '#recent-table td.merchant', '#recent-table .flag', '.hint', 'caption', '#sign-out'].map((selector) => {
    const element = document.querySelector(selector);
    const a = luminance(rgb(getComputedStyle(element).color));
    const b = luminance(rgb(background(element)));
    return { selector, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
  });
})()`;

/** A number as the page shows it ("-€1,234.56", "¥1,234") back to the API's decimal string. */
function decimalOf(text: string): string {
  const negative = /^[\s]*[-−]/.test(text) || text.includes('(');
  const digits = text.replace(/[^0-9.]/g, '');
  return `${negative ? '-' : ''}${digits}`;
}

describe('The insights page (headless Chromium)', function () {
  this.timeout(120_000);
  let env: LocalEnv;
  let view: StackView;
  let results: ScoredResult[];
  let read: InsightsQuery;
  let server: ApiServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  /** The user with a flagged anomaly among their recent transactions, and another user. */
  let alice: string;
  let bob: string;

  before(async () => {
    env = await getLocalEnv();
    view = await createStackView(env);
    results = await scoredHistory({ seed: 3, users: 4, count: 400 });
    await new ViewWriter({ dynamodb: view.projector, tableName: view.tableName }).write(results);
    // "Now" is the moment of the last booking, so this month is the data's last month.
    const latest = results.map((r) => utcInstant(r.bookedAt)).sort().at(-1)!;
    read = new InsightsQuery({ dynamodb: view.api, tableName: view.tableName, consistentRead: true, clock: () => new Date(latest) });
    server = new ApiServer({
      insights: read,
      verifier: new TokenVerifier({ issuer: env.issuer.issuer, audience: env.issuer.audience, jwksUrl: env.issuer.jwksUrl }),
      page: new PageAssets({ userClaim: 'sub', signInUrl: '' }),
    });
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
    const users = [...new Set(results.map((r) => r.userId))].sort();
    const flaggedRecently = async (user: string) => ((await read.get({ userId: user, limit: PAGE_RECENT_LIMIT }))?.recent ?? []).some((t) => t.isAnomaly);
    alice = (await Promise.all(users.map(async (user) => ((await flaggedRecently(user)) ? user : undefined)))).find((user) => user !== undefined) ?? '';
    bob = users.find((user) => user !== alice) ?? '';
    expect(alice, 'a user with a flagged anomaly among recent transactions').to.not.equal('');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await view?.close();
  });

  beforeEach(async () => {
    page = await browser.context.newPage();
  });

  afterEach(async function () {
    await page.screenshot({ path: join(testOutputDir('insights-page'), `${fileNameOf(this.currentTest?.title ?? 'page')}.png`), fullPage: true });
    await page.close();
  });

  async function viewOf(user: string): Promise<UserInsights> {
    const insights = await read.get({ userId: user, limit: PAGE_RECENT_LIMIT });
    if (insights === undefined) throw new Error(`the view has nothing for ${user}`);
    return insights;
  }

  async function openSignedIn(user: string): Promise<void> {
    await page.goto(`${base}/#token=${await env.issuer.mint(user)}`);
    await page.locator('#insights').waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** Every transaction id, of any user, that appears anywhere in the page's DOM. */
  async function idsOnPage(): Promise<string[]> {
    const html = await page.content();
    return [...new Set(results.map((r) => r.transactionId).filter((id) => html.includes(`"${id}"`)))];
  }

  it("shows the signed-in user's month totals exactly as the view holds them, with a chart of the spending", async () => {
    // Prepare
    const view = await viewOf(alice);
    const month = view.months[0]!;
    const spending = month.totals.filter((t) => t.sum.minor < 0);

    // Act
    await openSignedIn(alice);
    const rows = await page.locator('#month-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ category: tr.getAttribute('data-category'), currency: tr.getAttribute('data-currency'), amount: tr.querySelector('.amount')?.textContent ?? '', count: tr.querySelector('.count')?.textContent ?? '' })),
    );
    const bars = await page.locator('#month-charts svg g').evaluateAll((groups) => groups.map((g) => ({ category: g.getAttribute('data-category'), value: g.querySelector('.value')?.textContent ?? '' })));
    const labelIds = ((await page.locator('#month-charts svg').first().getAttribute('aria-labelledby')) ?? '').split(' ');
    const chartName = (await Promise.all(labelIds.map((id) => page.locator(`[id="${id}"]`).textContent()))).join(' ');

    // Assess
    expect(month.totals.length).to.be.greaterThan(2);
    expect(await page.locator('#who-name').textContent()).to.equal(alice);
    expect(rows.map((r) => [r.category, r.currency, decimalOf(r.amount), Number(r.count)])).to.deep.equal(month.totals.map((t) => [t.category, t.currency, t.sum.value, t.count]));
    expect(bars.map((b) => [b.category, decimalOf(b.value)]).sort()).to.deep.equal(spending.map((t) => [t.category, t.sum.value.replace('-', '')]).sort());
    expect(chartName).to.match(/^Spending in [A-Z]{3} Spent in [A-Z][a-z]+ \d{4}: /);
    expect(await page.locator('#this-month-title').textContent()).to.contain(new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month.month}-01T00:00:00Z`)));
    expect(await page.locator('#months-table thead th').allTextContents()).to.have.length(view.months.length + 1);
  });

  it('lists the recent transactions with their category and marks every flagged anomaly, and only those', async () => {
    // Prepare
    const view = await viewOf(alice);
    const flagged = view.recent.filter((t) => t.isAnomaly).map((t) => t.transactionId);

    // Act
    await openSignedIn(alice);
    const rows = await page.locator('#recent-table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ id: tr.getAttribute('data-transaction-id'), category: tr.querySelector('.category')?.textContent ?? '', marked: tr.classList.contains('anomaly'), flag: tr.querySelector('.flag')?.textContent ?? '' })),
    );
    const anomalies = await page.locator('#anomaly-list li').evaluateAll((items) => items.map((li) => li.getAttribute('data-transaction-id')));

    // Assess
    expect(flagged.length).to.be.greaterThan(0);
    expect(rows.map((r) => r.id)).to.deep.equal(view.recent.map((t) => t.transactionId));
    expect(rows.map((r) => r.category.toLowerCase())).to.deep.equal(view.recent.map((t) => t.category));
    expect(rows.filter((r) => r.marked).map((r) => r.id)).to.deep.equal(flagged);
    expect(rows.filter((r) => r.marked).every((r) => r.flag === 'Unusual')).to.equal(true);
    expect(rows.filter((r) => !r.marked).every((r) => r.flag === '')).to.equal(true);
    expect(anomalies).to.deep.equal(view.anomalies.map((a) => a.transactionId));
  });

  it('shows the sign-in error and no data for a wrongly signed or expired token', async () => {
    // Prepare: a token under the issuer's name and key id, signed with another key; and an expired one.
    const genuine = await env.issuer.mint(alice);
    const kid = (JSON.parse(Buffer.from(genuine.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid: string }).kid;
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(env.issuer.issuer).setAudience(env.issuer.audience).setSubject(alice).setIssuedAt().setExpirationTime('1h').sign(privateKey);
    const expired = await env.issuer.mint(alice, { issuedAt: new Date(Date.now() - 7200_000), ttlSeconds: 3600 });
    const seen: { error: string; insightsHidden: boolean; ids: string[]; stored: unknown; url: string }[] = [];

    // Act: each token in a page of its own (the forged one last, so its page is the screenshot).
    for (const token of [expired, forged]) {
      if (seen.length > 0) {
        await page.close();
        page = await browser.context.newPage();
      }
      await page.goto(`${base}/#token=${token}`);
      await page.locator('#sign-in-error').waitFor({ state: 'visible', timeout: 15_000 });
      seen.push({
        error: (await page.locator('#sign-in-error').textContent()) ?? '',
        insightsHidden: await page.locator('#insights').isHidden(),
        ids: await idsOnPage(),
        stored: await page.evaluate(STORED_TOKEN),
        url: page.url(),
      });
    }

    // Assess
    expect(seen).to.have.length(2);
    for (const result of seen) {
      expect(result.error).to.contain('not accepted');
      expect(result.insightsHidden).to.equal(true);
      expect(result.ids).to.deep.equal([]);
      expect(result.stored).to.equal(null);
      expect(result.url).to.not.contain('token=');
    }
  });

  it("never shows another user's data: not after signing out and in as someone else, not when asked for their id", async () => {
    // Prepare
    const idsOf = (user: string) => new Set(results.filter((r) => r.userId === user).map((r) => r.transactionId));
    const [aliceIds, bobIds] = [idsOf(alice), idsOf(bob)];
    let forbidden = 0;

    // Act 1: Alice signs in, signs out, Bob signs in through the form.
    await openSignedIn(alice);
    const whileAlice = await idsOnPage();
    await page.locator('#sign-out').click();
    const afterSignOut = await idsOnPage();
    await page.locator('#token').fill(await env.issuer.mint(bob));
    await page.locator('#sign-in-form button[type=submit]').click();
    await page.locator('#insights').waitFor({ state: 'visible', timeout: 15_000 });
    const whileBob = await idsOnPage();

    // Act 2: a page whose request is steered to Alice's id while it holds Bob's token.
    const steered = await browser.context.newPage();
    await steered.route('**/users/*/insights*', async (route) => {
      const response = await route.fetch({ url: route.request().url().replace(`/users/${bob}/`, `/users/${alice}/`) });
      if (response.status() === 403) forbidden += 1;
      await route.fulfill({ response });
    });
    await steered.goto(`${base}/#token=${await env.issuer.mint(bob)}`);
    await steered.locator('#sign-in-error').waitFor({ state: 'visible', timeout: 15_000 });
    const steeredHtml = await steered.content();
    await steered.screenshot({ path: join(testOutputDir('insights-page'), 'steered-to-another-users-id.png'), fullPage: true });
    await steered.close();

    // Assess
    expect(whileAlice.every((id) => aliceIds.has(id)) && whileAlice.length > 0).to.equal(true);
    expect(afterSignOut).to.deep.equal([]);
    expect(whileBob.length).to.be.greaterThan(0);
    expect(whileBob.filter((id) => !bobIds.has(id))).to.deep.equal([]);
    expect(await page.locator('#who-name').textContent()).to.equal(bob);
    expect(forbidden).to.equal(1);
    expect([...aliceIds].filter((id) => steeredHtml.includes(`"${id}"`))).to.deep.equal([]);
  });

  it('fits a phone-sized screen, names its chart and tables for a screen reader, and keeps text contrast at WCAG AA', async () => {
    // Prepare
    await page.setViewportSize({ width: 390, height: 844 });

    // Act
    await openSignedIn(alice);
    const layout = (await page.evaluate(PAGE_LAYOUT)) as { scrollWidth: number; width: number };
    const captions = await page.locator('table caption').allTextContents();
    const chart = await page.locator('#month-charts svg').first().evaluate((svg) => ({ role: svg.getAttribute('role'), labelledBy: svg.getAttribute('aria-labelledby') }));
    const contrasts = (await page.evaluate(CONTRASTS)) as { selector: string; ratio: number }[];

    // Assess
    expect(layout.scrollWidth).to.be.at.most(layout.width);
    expect(captions.every((c) => c.trim().length > 0)).to.equal(true);
    expect(chart.role).to.equal('img');
    expect(chart.labelledBy).to.match(/-title .+-desc$/);
    for (const { selector, ratio } of contrasts) expect(ratio, `contrast of ${selector}`).to.be.at.least(4.5);
  });
});
