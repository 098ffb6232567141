// The insights page. It takes a bearer token from the URL fragment (`#token=`, or an identity
// provider's `#id_token=` / `#access_token=` redirect) or from the sign-in form, keeps it in this
// tab's sessionStorage only, and asks the JSON API for the insights of the user the token names.
// The server decides what the token may read (403 for anyone else's id); the page never shows
// data it did not get for the signed-in user, and clears the screen before every load.
// Every value from the API reaches the page through textContent, never as markup.

const STORAGE_KEY = 'insights.token';
const SVG = 'http://www.w3.org/2000/svg';
const RECENT_LIMIT = 50;

const $ = (id) => document.getElementById(id);
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
const userClaim = meta('insights-user-claim') || 'sub';
const signInUrl = meta('insights-sign-in-url');
const locale = navigator.language || 'en';
// Each sign-in or sign-out starts a new generation; an answer for an older one is dropped, so a
// slow response can never paint the previous user's data over the current one.
let generation = 0;
// The month the charts show, to redraw them at a new width.
let shownMonth;
let drawnWidth = 0;

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

function svgElement(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Amounts arrive as exact decimal strings; Intl formats strings without a float round trip.
function money(value, currency) {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(value);
  } catch {
    return `${value} ${currency}`;
  }
}

function negate(value) {
  return value.startsWith('-') ? value.slice(1) : `-${value}`;
}

function monthName(month) {
  return new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-01T00:00:00Z`));
}

function shortMonth(month) {
  return new Intl.DateTimeFormat(locale, { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-01T00:00:00Z`));
}

// The booking's own date and time, in the offset the bank gave: what the user saw on the receipt.
function bookedDate(bookedAt) {
  return `${bookedAt.slice(0, 10)} ${bookedAt.slice(11, 16)}`;
}

function label(category) {
  return category.charAt(0).toUpperCase() + category.slice(1);
}

function setStatus(text) {
  $('status').textContent = text;
}

/** The payload of a compact JWT, unverified: only to know which user's insights to ask for. */
function claimsOf(token) {
  const part = token.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
    return typeof claims === 'object' && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}

function tokenFromFragment() {
  if (location.hash.length < 2) return undefined;
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('id_token') ?? params.get('access_token') ?? params.get('token') ?? undefined;
  // The token leaves the address bar (and history) at once.
  history.replaceState(null, '', location.pathname + location.search);
  return token;
}

function clearInsights() {
  shownMonth = undefined;
  $('insights').hidden = true;
  for (const id of ['month-charts', 'anomaly-list']) $(id).replaceChildren();
  for (const id of ['month-table', 'recent-table']) $(id).tBodies[0].replaceChildren();
  $('months-table').tHead.replaceChildren();
  $('months-table').tBodies[0].replaceChildren();
  $('who').hidden = true;
  $('who-name').textContent = '';
}

function showSignIn(message) {
  generation += 1;
  clearInsights();
  sessionStorage.removeItem(STORAGE_KEY);
  setStatus('');
  $('sign-in').hidden = false;
  const error = $('sign-in-error');
  error.hidden = message === undefined;
  error.textContent = message ?? '';
  $('provider').hidden = signInUrl === '';
  if (signInUrl !== '') $('provider-link').href = signInUrl;
  if (message !== undefined) $('token').focus();
}

async function load(token) {
  const mine = (generation += 1);
  clearInsights();
  $('sign-in').hidden = true;
  const claims = claimsOf(token);
  const userId = claims?.[userClaim];
  if (typeof userId !== 'string' || userId === '') return showSignIn('That token cannot be read. Sign in again to get a new one.');
  setStatus('Loading your insights…');
  let response;
  try {
    response = await fetch(`/users/${encodeURIComponent(userId)}/insights?limit=${RECENT_LIMIT}`, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  } catch {
    if (mine === generation) setStatus('The insights service cannot be reached. Check your connection and reload the page.');
    return;
  }
  if (mine !== generation) return;
  if (response.status === 401) return showSignIn('Your sign-in was not accepted: the token is invalid or has expired. Sign in again.');
  if (response.status === 403) return showSignIn('This token may not read these insights. Sign in again.');
  if (response.status === 429) return setStatus(`Too many requests just now. Try again in ${response.headers.get('retry-after') ?? 'a few'} seconds.`);
  if (!response.ok) return setStatus('Your insights cannot be loaded right now. Try again in a moment.');
  const insights = await response.json();
  if (mine !== generation) return;
  // The server already refused every other id; this only guards against a confused cache.
  if (insights.userId !== userId) return showSignIn('The answer was for another account. Sign in again.');
  sessionStorage.setItem(STORAGE_KEY, token);
  render(insights);
  setStatus('');
}

function render(insights) {
  $('who-name').textContent = insights.userId;
  $('who').hidden = false;
  // Shown before drawing, so the charts can measure the width they get.
  $('insights').hidden = false;
  // The first month is the user's current one; a user with nothing in the view yet has none.
  const current = insights.months[0] ?? { month: undefined, totals: [] };
  $('this-month-title').textContent = current.month === undefined ? 'This month' : `This month: ${monthName(current.month)}`;
  renderCharts(current);
  renderMonthTable(current);
  renderMonths(insights.months);
  renderAnomalies(insights.anomalies);
  renderRecent(insights.recent);
}

/** Spending (negative totals) per category, one bar chart per currency. */
function renderCharts(month) {
  const host = $('month-charts');
  host.replaceChildren();
  shownMonth = month;
  const currencies = [...new Set(month.totals.map((t) => t.currency))];
  const spending = currencies
    .map((currency) => ({ currency, rows: month.totals.filter((t) => t.currency === currency && t.sum.minor < 0).sort((a, b) => a.sum.minor - b.sum.minor) }))
    .filter((group) => group.rows.length > 0);
  if (spending.length === 0) {
    host.append(element('p', 'No spending this month yet.', 'empty'));
    return;
  }
  for (const { currency, rows } of spending) host.append(barChart(month.month, currency, rows));
  drawnWidth = host.clientWidth;
}

function barChart(month, currency, rows) {
  const id = `chart-${month}-${currency}`;
  const figure = element('figure', undefined, 'chart');
  const title = element('h3', `Spending in ${currency}`);
  title.id = `${id}-title`;
  const rowHeight = 30;
  // Drawn at the width it is shown at, so its text is as large as the page's on any screen.
  const width = Math.max(280, Math.round($('month-charts').clientWidth || 560));
  const labelWidth = 110;
  const valueWidth = 110;
  const barSpace = width - labelWidth - valueWidth;
  const largest = Math.max(...rows.map((r) => -r.sum.minor));
  const summary = rows.map((r) => `${label(r.category)} ${money(negate(r.sum.value), currency)}`).join(', ');
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${rows.length * rowHeight + 4}`, role: 'img', 'aria-labelledby': `${id}-title ${id}-desc` });
  svg.append(svgElement('desc', { id: `${id}-desc` }, `Spent in ${monthName(month)}: ${summary}.`));
  rows.forEach((row, i) => {
    const y = i * rowHeight + 2;
    const spent = -row.sum.minor;
    const barWidth = Math.max(2, Math.round((spent / largest) * barSpace));
    const group = svgElement('g', { 'data-category': row.category, 'aria-hidden': 'true' });
    group.append(
      svgElement('text', { class: 'label', x: 0, y: y + 19 }, label(row.category)),
      svgElement('rect', { class: 'bar', x: labelWidth, y: y + 5, width: barWidth, height: rowHeight - 10, rx: 2 }),
      svgElement('text', { class: 'value', x: labelWidth + barWidth + 6, y: y + 19 }, money(negate(row.sum.value), currency)),
    );
    svg.append(group);
  });
  figure.append(title, svg);
  return figure;
}

function renderMonthTable(month) {
  $('month-caption').textContent = month.month === undefined ? 'Totals by category' : `Totals by category in ${monthName(month.month)} (spending is negative)`;
  const body = $('month-table').tBodies[0];
  if (month.totals.length === 0) {
    const row = element('tr');
    const cell = element('td', 'No transactions this month yet.', 'empty');
    cell.colSpan = 3;
    row.append(cell);
    body.append(row);
    return;
  }
  for (const total of month.totals) {
    const row = element('tr');
    row.dataset.category = total.category;
    row.dataset.currency = total.currency;
    const amount = element('td', money(total.sum.value, total.currency), 'num amount');
    amount.dataset.minor = String(total.sum.minor);
    row.append(element('th', label(total.category)), amount, element('td', String(total.count), 'num count'));
    row.firstChild.scope = 'row';
    body.append(row);
  }
}

/** Categories down, months across: what was spent (as a positive amount) per currency. */
function renderMonths(months) {
  const table = $('months-table');
  const head = element('tr');
  head.append(element('th', 'Category'));
  head.firstChild.scope = 'col';
  for (const month of months) {
    const th = element('th', shortMonth(month.month), 'num');
    th.scope = 'col';
    head.append(th);
  }
  table.tHead.append(head);
  const keys = new Map();
  for (const month of months) {
    for (const total of month.totals) if (total.sum.minor < 0) keys.set(`${total.currency}|${total.category}`, { currency: total.currency, category: total.category });
  }
  const body = table.tBodies[0];
  if (keys.size === 0) {
    const row = element('tr');
    const cell = element('td', 'No spending in these months.', 'empty');
    cell.colSpan = months.length + 1;
    row.append(cell);
    body.append(row);
    return;
  }
  const sorted = [...keys.values()].sort((a, b) => a.currency.localeCompare(b.currency) || a.category.localeCompare(b.category));
  for (const { currency, category } of sorted) {
    const row = element('tr');
    const th = element('th', `${label(category)} (${currency})`);
    th.scope = 'row';
    row.append(th);
    for (const month of months) {
      const total = month.totals.find((t) => t.category === category && t.currency === currency && t.sum.minor < 0);
      row.append(element('td', total === undefined ? '–' : money(negate(total.sum.value), currency), 'num'));
    }
    body.append(row);
  }
}

function renderAnomalies(anomalies) {
  const list = $('anomaly-list');
  if (anomalies.length === 0) {
    list.append(element('li', 'Nothing unusual. Every recent transaction looks like your usual spending.', 'empty'));
    return;
  }
  for (const anomaly of anomalies) {
    const item = element('li');
    item.dataset.transactionId = anomaly.transactionId;
    item.append(
      element('span', anomaly.merchant.name, 'merchant'),
      element('span', money(anomaly.amount.value, anomaly.amount.currency), 'amount'),
      element('span', `${bookedDate(anomaly.bookedAt)} · ${label(anomaly.category)}`, 'meta'),
    );
    list.append(item);
  }
}

function renderRecent(recent) {
  const body = $('recent-table').tBodies[0];
  if (recent.length === 0) {
    const row = element('tr');
    const cell = element('td', 'No transactions yet.', 'empty');
    cell.colSpan = 4;
    row.append(cell);
    body.append(row);
    return;
  }
  for (const txn of recent) {
    const row = element('tr', undefined, txn.isAnomaly ? 'anomaly' : undefined);
    row.dataset.transactionId = txn.transactionId;
    const date = element('td', undefined, 'date');
    date.append(element('span', txn.bookedAt.slice(0, 10), 'day'), ' ', element('span', txn.bookedAt.slice(11, 16), 'time'));
    // On a phone the category column folds under the merchant (.category-inline), so nothing scrolls sideways.
    const merchant = element('td', undefined, 'merchant');
    merchant.append(element('span', txn.merchant.name, 'name'));
    if (txn.isAnomaly) merchant.append(' ', element('span', 'Unusual', 'flag'));
    merchant.append(element('span', label(txn.category), 'category-inline'));
    row.append(date, merchant, element('td', label(txn.category), 'category'), element('td', money(txn.amount.value, txn.amount.currency), 'num amount'));
    body.append(row);
  }
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('token').value.trim();
  $('token').value = '';
  void load(token);
});

$('sign-out').addEventListener('click', () => showSignIn());

window.addEventListener('resize', () => {
  if (shownMonth !== undefined && Math.abs($('month-charts').clientWidth - drawnWidth) > 40) renderCharts(shownMonth);
});

// A link with a new token (a sign-in redirect) while the page is open replaces the current one.
window.addEventListener('hashchange', () => {
  const token = tokenFromFragment();
  if (token !== undefined) void load(token);
});

const initial = tokenFromFragment() ?? sessionStorage.getItem(STORAGE_KEY) ?? undefined;
if (initial === undefined) showSignIn();
else void load(initial);
