// The dashboard in Debian's chromium (headless), against `coinlake serve` over a database the
// pipeline filled (run.sh sets it up). Screenshots go to $BROWSER_ARTIFACTS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const URL_FULL = process.env.DASHBOARD_URL;
const URL_EMPTY = process.env.EMPTY_DASHBOARD_URL;
const URL_STALE = process.env.STALE_DASHBOARD_URL;
const URL_ALERTS = process.env.ALERTS_DASHBOARD_URL;
const ARTIFACTS = process.env.BROWSER_ARTIFACTS;
const CHROMIUM = '/usr/bin/chromium';

let context;
let profile;
const problems = [];

before(async () => {
  assert.ok(URL_FULL && URL_EMPTY && URL_STALE && URL_ALERTS && ARTIFACTS, 'run through tests/browser/run.sh');
  profile = mkdtempSync(path.join(tmpdir(), 'coinlake-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

// A new page that records console errors, page errors and CSP violations; `prepare` runs
// before the first navigation.
async function open(url, prepare = async () => {}) {
  const page = await context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${url}: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`${url}: ${err.message}`));
  await prepare(page);
  await page.goto(url);
  return page;
}

async function loaded(page, name) {
  await page.waitForSelector(`body[data-loaded="${name}"]`, { timeout: 15_000 });
}

// Pixels of a chart's canvases that are clearly coloured (not white, grey or transparent).
async function colouredPixels(page, chart = '#chart') {
  return page.$$eval(`${chart} canvas`, (canvases) => canvases.reduce((sum, c) => {
    if (!c.width || !c.height) return sum;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const max = Math.max(data[i], data[i + 1], data[i + 2]);
      const min = Math.min(data[i], data[i + 1], data[i + 2]);
      if (data[i + 3] > 0 && max - min > 60) n += 1;
    }
    return sum + n;
  }, 0));
}

// Answers `path` (an /api/v1 endpoint) with the real answer changed by `change(body)`: states the
// fixture's database does not reach (a heartbeat, a read plan, a coin with one hourly close).
async function rewrite(page, path, change) {
  await page.route((url) => url.pathname === path, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    change(body);
    await route.fulfill({ response, json: body });
  });
}

// What the asset chart's price axis prints for `value` (the axis is a canvas).
async function axisLabel(page, value) {
  return page.evaluate(async (v) => (await import('/asset.js')).axisLabel(v), value);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('dashboard over a filled database', () => {
  test('market overview shows global figures, movers and the top 100 with sparklines', async () => {
    const page = await open(`${URL_FULL}/#/market`);
    await loaded(page, 'market');
    assert.equal(await page.locator('#latest tbody tr').count(), 100);
    assert.match(await page.textContent('#latest tbody tr:first-child'), /BTC|Bitcoin/);
    assert.match(await page.textContent('#g-mcap'), /\d/);
    assert.match(await page.textContent('#g-btc'), /%$/);
    // Global metrics once the pipeline fetches them, else summed from the snapshot: either is named.
    assert.match(await page.textContent('#g-source'),
      /Computed from the latest snapshot|From CoinMarketCap global metrics/);
    assert.match(await page.textContent('#health'), /latest snapshot/);
    const sparkPixels = await page.$eval('#latest tbody tr:first-child canvas.spark', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
      return n;
    });
    assert.ok(sparkPixels > 20, `sparkline drawn (${sparkPixels} pixels)`);
    await page.selectOption('#movers-window', '2h');
    await page.waitForFunction(() => document.querySelectorAll('#gainers li a').length > 0
      && document.querySelectorAll('#losers li a').length > 0);
    assert.equal(await page.isVisible('#gainers-empty'), false);
    await shot(page, 'market');
    await page.close();
  });

  test('a coin with a single hourly close gets a dash, not a blank sparkline', async () => {
    const page = await open(`${URL_FULL}/#/market`, (p) => rewrite(p, '/api/v1/sparklines', (body) => {
      body.data['1'] = body.data['1'].slice(-1);
    }));
    await loaded(page, 'market');
    const first = page.locator('#latest tbody tr[data-cmc-id="1"] .spark-none');
    assert.equal(await first.textContent(), '—');
    assert.equal(await first.getAttribute('title'), 'not enough history yet');
    assert.equal(await page.locator('#latest tbody tr[data-cmc-id="1"] canvas').count(), 0);
    assert.equal(await page.locator('#latest tbody tr:nth-child(2) canvas.spark').count(), 1);
    await page.close();
  });

  test('asset page draws a chart; ranges, candles, UTC toggle and compare work', async () => {
    const page = await open(`${URL_FULL}/#/asset/1`);
    await loaded(page, 'asset');
    await page.waitForFunction(() => document.querySelector('#chart-note').textContent.includes('UTC'));
    assert.ok(await colouredPixels(page) > 100, 'the line is drawn');
    // The header names the coin and gives its figures in the tables' format.
    assert.match(await page.textContent('#asset-head h2'), /^Bitcoin\s*BTC\s*#1$/);
    const facts = await page.locator('#asset-head dd').allTextContents();
    assert.equal(facts.length, 3, facts.join(' | '));
    assert.match(facts[0], /^\d{1,3}(,\d{3})+(\.\d+)?$/, `price ${facts[0]}`);
    assert.match(facts[1], /^-?\d+\.\d\d%$/, `24h change ${facts[1]}`);
    assert.match(facts[2], /^\d+(\.\d+)?[KMBT]$/, `market cap ${facts[2]}`);
    // The price axis: six significant digits with separators, like the table, not "83080.1234".
    assert.equal(await axisLabel(page, 83080.1234), '83,080.1');
    assert.equal(await axisLabel(page, 0.000412451234), '0.000412451');
    assert.match(await page.getAttribute('#csv', 'href'), /ids=1&.*range=24h/);

    await page.click('#ranges button[data-range="7d"]');
    await page.waitForFunction(() => document.querySelector('#csv').href.includes('range=7d'));
    assert.equal(await page.getAttribute('#ranges button.on', 'data-range'), '7d');
    await page.waitForSelector('.gap', { timeout: 10_000 });
    assert.ok(await page.locator('.gap').count() >= 1, 'the fetch pause is shaded as a gap');

    await page.click('#tz');
    await page.waitForFunction(() => document.querySelector('#chart-note').textContent.includes('local time'));
    assert.equal(await page.textContent('#tz'), 'Local');
    await page.click('#tz');
    await page.waitForFunction(() => document.querySelector('#chart-note').textContent.includes('UTC'));

    await page.click('#modes button[data-mode="candles"]');
    await page.waitForFunction(() => document.querySelector('#chart-note').textContent.includes('candles'));
    assert.ok(await colouredPixels(page) > 100, 'candles are drawn');
    assert.equal(await axisLabel(page, 83080.1234), '83,080.1');
    assert.match(await page.getAttribute('#csv', 'href'), /candles\?id=1/);
    await shot(page, 'asset-candles');

    await page.click('#modes button[data-mode="line"]');
    await page.fill('#search', 'eth');
    await page.waitForSelector('#search-results button[data-cmc-id="1027"]');
    await page.click('#search-results button[data-cmc-id="1027"]');
    await page.waitForFunction(() => document.querySelector('#chart-note').textContent.includes('Change since'));
    assert.equal(await page.locator('#selected .chip').count(), 2);
    assert.match(await page.getAttribute('#csv', 'href'), /ids=1%2C1027/);
    assert.ok(await colouredPixels(page) > 100, 'two lines drawn');
    await shot(page, 'asset-compare');
    await page.close();
  });

  test('the Assets page without a coin asks for one instead of showing BTC', async () => {
    const page = await open(`${URL_FULL}/#/asset`);
    await loaded(page, 'asset');
    assert.equal(await page.isVisible('#asset-prompt'), true);
    assert.equal(await page.isVisible('#chart'), false);
    assert.equal(await page.locator('#selected .chip').count(), 0);
    assert.equal(await page.locator('#asset-top a').count(), 10);
    assert.equal(await page.getAttribute('#asset-top a:first-child', 'href'), '#/asset/1');
    await shot(page, 'asset-prompt');
    // A coin picked in the search becomes the page's own: chart, header, URL and nav link.
    await page.fill('#search', 'eth');
    await page.click('#search-results button[data-cmc-id="1027"]');
    await page.waitForFunction(() => document.querySelector('#chart-note').textContent.includes('UTC'));
    assert.equal(await page.isVisible('#asset-prompt'), false);
    assert.match(await page.textContent('#asset-head h2'), /^Ethereum\s*ETH/);
    assert.equal(await page.evaluate(() => window.location.hash), '#/asset/1027');
    assert.equal(await page.getAttribute('nav a[data-page="asset"]', 'href'), '#/asset/1027');
    await page.close();
  });

  test('the asset chart marks where live polling began, after the backfilled history', async () => {
    const answer = (p) => p.waitForResponse((r) => r.url().includes('/api/v1/series'));
    const page = await open(`${URL_FULL}/#/asset/1`);
    const series = await (await answer(page)).json();
    await loaded(page, 'asset');
    const mark = page.locator('#chart .live-mark');
    await mark.waitFor();
    assert.equal(await page.textContent('#chart .live-mark span'), 'live polling began');
    // The chart spaces its points evenly, whatever their times: the mark sits after the twelve
    // backfilled points, a share of the width the number of live polls (how many fetches ran
    // in the fixture's 29 s) decides.
    const times = series.series[0].points.map((p) => Date.parse(p.t));
    const since = Date.parse(series.live_since);
    // Backfilled every 30 minutes (a live quote's time may be a little before the first poll).
    const history = times.filter((t) => t < since - 15 * 60_000).length;
    assert.equal(history, 12, `${history} points more than 15 minutes before live polling began`);
    const expected = times.filter((t) => t < since).length / (times.length - 1);
    const chart = await page.locator('#chart').boundingBox();
    const x = (await mark.boundingBox()).x - chart.x;
    assert.ok(x > chart.width * 0.05 && Math.abs(x / chart.width - expected) < 0.1,
      `mark at ${x} of ${chart.width}px, expected near ${expected}; ${times.length} points`);
    assert.match(await page.textContent('#chart-legend'), /live polling began/);
    await shot(page, 'asset-live-mark');
    await page.close();
  });

  test('a coin backfilled for a month has a 30-day chart', async () => {
    const page = await open(`${URL_FULL}/#/asset/1027`);
    await loaded(page, 'asset');
    const answer = page.waitForResponse((r) => r.url().includes('/api/v1/series') &&
                                               r.url().includes('range=30d'));
    await page.click('#ranges button[data-range="30d"]');
    const series = await (await answer).json();
    const points = series.series[0].points;
    const days = (Date.parse(points.at(-1).t) - Date.parse(points[0].t)) / 86_400_000;
    assert.ok(days > 29, `the 30-day chart spans ${days.toFixed(1)} days`);
    await page.waitForFunction(() => document.querySelector('#csv').href.includes('range=30d'));
    assert.ok(await colouredPixels(page) > 100, 'the month is drawn');
    await shot(page, 'asset-30d');
    await page.close();
  });

  test('the currency selector switches the asset page, and the API calls carry it', async () => {
    const page = await open(`${URL_FULL}/#/asset/1`);
    await loaded(page, 'asset');
    await page.waitForSelector('#currency option[value="EUR"]', { state: 'attached' });
    const asked = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api/v1/')) asked.push(url);
    });
    await page.selectOption('#currency', 'EUR');
    await page.waitForFunction(() => document.querySelector('#chart-note').textContent.includes('Prices in EUR'));
    assert.equal(await page.textContent('#asset-head dt'), 'Price (EUR)');
    const series = asked.filter((u) => u.pathname === '/api/v1/series');
    assert.ok(series.length >= 1, `series asked again (${asked.map((u) => u.pathname).join(' ')})`);
    for (const u of asked.filter((v) => ['/api/v1/series', '/api/v1/latest'].includes(v.pathname))) {
      assert.equal(u.searchParams.get('currency'), 'EUR', u.href);
    }
    assert.match(page.url(), /\?currency=EUR#\/asset\/1$/);
    assert.match(await page.getAttribute('#csv', 'href'), /currency=EUR/);
    // The choice holds on the other pages.
    asked.length = 0;
    await page.click('nav a[data-page="market"]');
    await loaded(page, 'market');
    await page.waitForFunction(() => document.querySelectorAll('#latest tbody tr').length === 100);
    const latest = asked.find((u) => u.pathname === '/api/v1/latest');
    assert.equal(latest?.searchParams.get('currency'), 'EUR');
    assert.equal(await page.inputValue('#currency'), 'EUR');
    await page.close();
  });

  test('the Global page charts market cap, volume and dominance over time', async () => {
    const page = await open(`${URL_FULL}/#/global`);
    await loaded(page, 'global');
    assert.match(await page.textContent('#gl-note'), /^\d+ points in USD/);
    for (const chart of ['#gl-mcap', '#gl-volume', '#gl-dominance']) {
      assert.ok(await colouredPixels(page, chart) > 100, `${chart} is drawn`);
    }
    const month = await page.textContent('#gl-note');
    const asked = page.waitForRequest((r) => r.url().includes('/api/v1/global/series?range=24h'));
    await page.click('#gl-ranges button[data-range="24h"]');
    await asked;
    await page.waitForFunction((before) => document.querySelector('#gl-note').textContent !== before, month);
    assert.ok(await colouredPixels(page, '#gl-dominance') > 100, 'redrawn');
    await shot(page, 'global');
    await page.close();
  });

  test('CSV download holds the series', async () => {
    const page = await open(`${URL_FULL}/#/asset/1`);
    await loaded(page, 'asset');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    const file = await download.path();
    const lines = readFileSync(file, 'utf8').trim().split('\r\n');
    assert.equal(lines[0], 'cmc_id,symbol,t,price,min,max,volume_24h,market_cap,samples');
    assert.ok(lines.length > 5, `rows in the CSV (${lines.length})`);
    const fields = lines[1].split(',');
    assert.equal(fields[0], '1');
    assert.equal(fields[1], 'BTC');
    assert.ok(Number(fields[3]) > 0, 'a price');
    assert.match(fields[2], /^\d{4}-\d\d-\d\dT/);
    await page.close();
  });

  test('pipeline page shows freshness, runs, credits and gaps', async () => {
    const page = await open(`${URL_FULL}/#/pipeline`);
    await loaded(page, 'pipeline');
    assert.doesNotMatch(await page.textContent('#p-fresh'), /no data yet/);
    // The fill ran `coinlake fetch` against the sim, which reads the plan but writes no heartbeat:
    // coinlake's own spending, and a plain note that the plan is not known yet.
    assert.match(await page.textContent('#p-credits'),
      /^\d+ credits? used this month by \d+ runs?; plan not read yet$/);
    assert.match(await page.textContent('#p-gaps'), /snapshots missing/);
    // No retention run in the fill: quotes are kept forever.
    assert.equal(await page.textContent('#p-retention'), 'not run yet');
    assert.equal(await page.textContent('#p-retention-detail'), 'quotes are kept forever');
    // No `run` in the fill: no closed day audited.
    assert.equal(await page.textContent('#p-audit'), 'not run yet');
    // The fill's pause left a gap: listed, and the "none" sentence hidden.
    assert.ok(await page.locator('#p-gap-list li').count() >= 1);
    // No heartbeat in the fill: the default 5-minute slots.
    assert.match(await page.locator('#p-gap-list li').first().textContent(), / × 5 min$/);
    assert.equal(await page.isVisible('#p-gap-list-empty'), false);
    // The fixture's backfill probed the plan: quotes historical is served.
    assert.equal(await page.isVisible('#p-access-empty'), false);
    assert.match(await page.textContent('#p-access tbody tr'), /^quotes_historicalyes/);
    assert.ok(await page.locator('#p-runs tbody tr').count() >= 10);
    assert.ok(await page.locator('#p-runs .outcome-ok').count() >= 10);
    // Rows stored, with the quotes a snapshot repeated unchanged when there were any.
    for (const text of await page.locator('#p-runs tbody td:nth-child(5)').allTextContents()) {
      assert.match(text, /^\d+( \(\+\d+ carried\))?$/);
    }
    // Durations with a unit: sub-second runs in ms, never "0.0".
    for (const text of await page.locator('#p-runs tbody td:nth-child(6)').allTextContents()) {
      assert.match(text, /^(\d+ ms|\d+\.\d s|\d+ min \d+ s)$/);
    }
    await shot(page, 'pipeline');
    await page.close();
  });

  test('pipeline page labels the host, reads the plan and says when no slot is complete', async () => {
    // The fill writes no heartbeat and reads no plan, and its first snapshot is hours old.
    const page = await open(`${URL_FULL}/#/pipeline`, (p) => rewrite(p, '/api/v1/pipeline', (body) => {
      const used = body.credits.used_this_month;
      body.heartbeats = [{ host: 'vm', state: 'running', stale: false, beat_age_seconds: 5,
        last_success_at: body.freshness.latest_snapshot }];
      body.credits.plan = { credits_per_month: 15000, used_this_month: used, left_this_month: 15000 - used,
        resets_at: null, as_of: null };
      // An ETL that takes listings every 10 minutes: the slots are named after its interval.
      body.gaps = { window: '24h', slot_seconds: 600, expected: 0, missing: 0, ranges: [] };
      body.errors.by_class = [];
      body.historical_access = [{ endpoint: 'ohlcv_historical', allowed: false, checked_at: body.freshness.latest_snapshot,
        http_status: 403, error_code: 1006, message: 'not on this plan', earliest: null }];
      // A retention that dropped a month and a week and kept the next week: the reason is on the page.
      body.retention = { run_at: body.freshness.latest_snapshot, retention_days: 90, boundary: null,
        dropped: ['quotes_w2026_03_23'], blocked_start: '2026-03-30T00:00:00.000Z',
        blocked_end: '2026-04-06T00:00:00.000Z', blocked_reason: 'day 2026-03-31: not compacted',
        error: null, partitions_dropped: 2, lake_only_before: '2026-03-30T00:00:00.000Z' };
      // An audit that found a day not loaded: the day and its kinds are on the page.
      body.audit = { days_audited: 7, last_audited_at: body.freshness.latest_snapshot, newest_day: '2026-04-01',
        days_with_findings: 1, findings: 3,
        with_findings: [{ day: '2026-03-31', findings: 3, kinds: ['gap', 'not_loaded'], audited_at: null, audited_by: 'run' }] };
    }));
    await loaded(page, 'pipeline');
    assert.match(await page.textContent('#p-heartbeat'), /^host vm: running, beat 5 s ago, last ok /);
    assert.match(await page.textContent('#p-credits'),
      /^\d+ credits? used this month by \d+ runs?; [\d,]+ of 15,000 left$/);
    assert.equal(await page.textContent('#p-gaps'), 'no complete 10-minute slot yet');
    // Empty sections read alike: a plain sentence, no bullet.
    assert.equal(await page.isVisible('#p-gap-list'), false);
    assert.match(await page.textContent('#p-gap-list-empty'), /^None yet: no complete 10-minute slot/);
    assert.equal(await page.isVisible('#p-errors-empty'), true);
    assert.equal(await page.isVisible('#p-access-empty'), false);
    assert.match(await page.textContent('#p-access tbody tr'), /^ohlcv_historicalno.*4031006–not on this plan$/);
    assert.equal(await page.textContent('#p-retention'), '90 days · 2026-03-30 to 2026-04-06 kept');
    assert.equal(await page.getAttribute('#p-retention', 'class'), 'stale');
    assert.match(await page.textContent('#p-retention-detail'),
      /^2 partitions in the lake only, before 2026-03-30; last run .*, dropped quotes_w2026_03_23; day 2026-03-31: not compacted$/);
    assert.equal(await page.textContent('#p-audit'), '1 day with findings');
    assert.equal(await page.getAttribute('#p-audit', 'class'), 'stale');
    assert.match(await page.textContent('#p-audit-detail'),
      /^2026-03-31: gap, not_loaded \(3\); 7 days audited, newest 2026-04-01; last audit /);
    await shot(page, 'pipeline-plan');
    await page.close();
  });

  test('refreshes itself every 30 seconds without reloading the page', async () => {
    const page = await open(`${URL_FULL}/#/market`, (p) => p.clock.install());
    await loaded(page, 'market');
    await page.evaluate(() => { window.notReloaded = true; });
    const asked = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.clock.runFor(31_000);
    const wanted = ['/api/v1/health', '/api/v1/latest', '/api/v1/global'];
    for (let i = 0; i < 100 && !wanted.every((e) => asked.includes(e)); i += 1) {
      await new Promise((resolve) => { setTimeout(resolve, 100); });
    }
    for (const endpoint of wanted) {
      assert.ok(asked.includes(endpoint), `${endpoint} asked again (asked: ${asked.join(' ')})`);
    }
    assert.equal(await page.evaluate(() => window.notReloaded), true, 'same document');
    await page.close();
  });

  test('fits a phone-sized screen', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${URL_FULL}/#/market`);
    await loaded(page, 'market');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);
    // The table itself must fit too: its wrapper scrolls sideways without a hint.
    const fit = await page.$eval('#latest', (t) => ({
      over: t.parentElement.scrollWidth - t.parentElement.clientWidth,
      // The visible columns' widths, to say what did not fit.
      columns: [...t.tHead.rows[0].cells].filter((th) => th.offsetParent)
        .map((th) => `${th.textContent} ${th.offsetWidth}px`),
    }));
    assert.ok(fit.over <= 0, `the top-100 table fits (${fit.over}px too wide: ${fit.columns.join(', ')})`);
    const shown = await page.$$eval('#latest thead th', (ths) => ths.filter((th) => th.offsetParent).map((th) => th.textContent));
    assert.deepEqual(shown, ['#', 'Name', 'Price', '24h']);
    await shot(page, 'market-phone');
    await page.goto(`${URL_FULL}/#/asset/1`);
    await loaded(page, 'asset');
    assert.match(await page.textContent('#asset-head h2'), /Bitcoin/);
    const assetOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(assetOverflow <= 0, `asset page: no horizontal scrolling (${assetOverflow}px too wide)`);
    await shot(page, 'asset-phone');
    await page.close();
  });
});

describe('dashboard over an empty database', () => {
  test('says there is no data yet instead of failing', async () => {
    const page = await open(`${URL_EMPTY}/#/market`);
    await loaded(page, 'market');
    assert.equal(await page.isVisible('#empty'), true);
    assert.match(await page.textContent('#g-mcap'), /no data yet/);
    assert.match(await page.textContent('#health'), /no data yet/);
    // Empty movers are a sentence, not a numbered "1. no data yet".
    assert.equal(await page.locator('#gainers li').count(), 0);
    assert.equal(await page.isVisible('#gainers-empty'), true);
    assert.equal(await page.isVisible('#losers-empty'), true);
    await page.goto(`${URL_EMPTY}/#/pipeline`);
    await loaded(page, 'pipeline');
    assert.match(await page.textContent('#p-fresh'), /no data yet/);
    assert.equal(await page.textContent('#p-gaps'), 'no data yet');
    assert.equal(await page.textContent('#p-gap-list-empty'), 'No data yet.');
    assert.equal(await page.isVisible('#p-runs-empty'), true);
    assert.equal(await page.isVisible('#p-runs'), false);
    // No backfill has probed the plan: a sentence, no table.
    assert.match(await page.textContent('#p-access-empty'), /^Not checked yet/);
    assert.equal(await page.isVisible('#p-access'), false);
    await page.goto(`${URL_EMPTY}/#/asset/1`);
    await loaded(page, 'asset');
    assert.match(await page.textContent('#chart-note'), /No data yet/);
    await shot(page, 'empty');
    await page.close();
  });
});

describe('dashboard over stale data', () => {
  test('says the data is stale and still shows it', async () => {
    const page = await open(`${URL_STALE}/#/market`);
    await loaded(page, 'market');
    assert.match(await page.textContent('#health'), /· stale/);
    assert.equal(await page.getAttribute('#health', 'class'), 'health stale');
    assert.equal(await page.locator('#latest tbody tr').count(), 100);
    assert.equal(await page.isVisible('#empty'), false);
    await page.goto(`${URL_STALE}/#/pipeline`);
    await loaded(page, 'pipeline');
    assert.match(await page.textContent('#p-fresh'), /· stale/);
    assert.equal(await page.getAttribute('#p-fresh', 'class'), 'stale');
    await shot(page, 'stale-pipeline');
    await page.close();
  });
});

// run.sh's fetches evaluated two rules on each snapshot (btc-high: BTC above 1 USD, to ops and
// pager; eth-low: never), then a short `coinlake run` listed them and delivered: ops answered
// 200, pager 503.
describe('alerts page', () => {
  test('the nav leads to it; it shows the rules, what fires and the history per channel', async () => {
    const page = await open(`${URL_ALERTS}/#/pipeline`);
    await loaded(page, 'pipeline');
    await page.click('nav a[data-page="alerts"]');
    await loaded(page, 'alerts');
    assert.equal(new URL(page.url()).hash, '#/alerts');
    assert.equal(await page.isVisible('#a-no-rules'), false);
    const rules = await page.locator('#a-rules tbody tr').allTextContents();
    // The two market rules, then the seven default pipeline rules (on once a channel is set).
    assert.equal(rules.length, 9);
    assert.match(rules[0], /^btc-highpriceprice BTC above 1 USD cooldown=1hops, pager1 h1 firing$/);
    assert.match(rules[1], /^eth-lowpriceprice id:1027 below 1 channels=opsops1 hquiet$/);
    assert.match(rules[2], /^pipeline-stalepipelinepipeline stale 3ops, pager1 h/);
    assert.match(rules[7], /^pipeline-database-outagepipelinepipeline database-outage 15mops, pager1 h/);
    assert.match(rules[8], /^pipeline-audit-discrepancypipelinepipeline audit-discrepancy cooldown=1dops, pager1 d/);
    // Firing now: BTC, since the first snapshot, with its price.
    const firing = page.locator('#a-firing tbody tr');
    assert.equal(await firing.count(), 1);
    const cells = await firing.locator('td').allTextContents();
    assert.equal(cells[0], 'btc-high');
    assert.equal(cells[1], 'BTC (Bitcoin)');
    assert.match(cells[2], /^for \d+ (s|min|h)$/);
    assert.match(cells[4], /^[\d,.]+ USD \(level 1 USD\)$/);
    // The history: the firing notification as each channel got it (or not).
    const history = (await page.$$eval('#a-history tbody tr', (rows) => rows.map(
      (tr) => [...tr.cells].map((td) => td.textContent)))).filter((row) => row[1] === 'btc-high');
    assert.equal(history.length, 2);
    const byChannel = Object.fromEntries(history.map((row) => [row[6], row]));
    assert.deepEqual(byChannel.ops.slice(0, 3), ['firing', 'btc-high', 'BTC (Bitcoin)']);
    assert.match(byChannel.ops[4], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(byChannel.ops[7], /^ops: delivered \d{4}-/);
    assert.match(byChannel.pager[7], /^pager: waiting · \d+ attempts? · HTTP 503/);
    // The channels: ops has nothing waiting, pager its notification, and neither shows a URL.
    const channels = await page.locator('#a-channels tbody tr').allTextContents();
    assert.match(channels[0], /^opswebhookall delivered/);
    assert.match(channels[1], /^pagerwebhook1 notification waiting since /);
    assert.doesNotMatch(await page.textContent('#page-alerts'), /127\.0\.0\.1|http:/);
    assert.equal(await page.isVisible('#a-older'), false);
    await shot(page, 'alerts');
    await page.setViewportSize({ width: 375, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `alerts page on a phone: no horizontal scrolling (${overflow}px too wide)`);
    for (const table of ['#a-rules', '#a-firing', '#a-history']) {
      const over = await page.$eval(table, (t) => t.parentElement.scrollWidth - t.parentElement.clientWidth);
      assert.ok(over <= 0, `${table} fits a phone (${over}px too wide)`);
    }
    await shot(page, 'alerts-phone');
    await page.close();
  });

  test('says when no rule is configured', async () => {
    const page = await open(`${URL_EMPTY}/#/alerts`);
    await loaded(page, 'alerts');
    assert.equal(await page.textContent('#a-no-rules'), 'No alert rules configured: see docs/alerts.md.');
    assert.equal(await page.isVisible('#a-rules'), false);
    assert.equal(await page.isVisible('#a-firing-empty'), true);
    assert.equal(await page.isVisible('#a-history-empty'), true);
    await page.close();
  });
});

test('no console errors and no CSP violations', () => {
  assert.deepEqual(problems, []);
});
