// Asset page: one or more assets over a range, as a line (several assets: % change) or as
// candles with volume; backfilled history and live polling as one series, with a mark where live
// polling began; gaps in the data and slots still missing shaded; UTC or local time; CSV download.
import { CandlestickSeries, HistogramSeries, LineSeries, createChart } from './vendor/lightweight-charts.js';
import { apiUrl, currency, getJson } from './api.js';
import { big, el, percent, price, priceStep } from './format.js';

// CMC's own OHLCV bars: teal up, orange down (coinlake's: green and red).
const CMC_UP = '#0e7490';
const CMC_DOWN = '#c2410c';
const COLORS = ['#2563eb', '#f59e0b', '#16a34a', '#dc2626', '#7c3aed', '#0891b2'];
// ids: the coins shown, the first one the page's own (its URL, its header); empty on `#/asset`.
const state = { ids: [], range: '24h', mode: 'line', utc: true, names: {} };
let chart = null;
let priceSeries = null;
// Shaded bands ({from, to, title} in Unix seconds), the live mark (seconds or null), and the
// chart times of the data (sorted), which place both.
let bands = [];
let liveSince = null;
let times = [];
let shades = [];

function secondsOf(iso) {
  return Math.floor(Date.parse(iso) / 1000);
}

// lightweight-charts shows times as UTC; local time shifts them by the zone offset.
function chartTime(seconds) {
  if (state.utc) return seconds;
  return seconds - new Date(seconds * 1000).getTimezoneOffset() * 60;
}

function ensureChart() {
  if (chart) return chart;
  const box = document.getElementById('chart');
  chart = createChart(box, {
    autoSize: true,
    // The logo injects an inline <style>, which the CSP forbids; the footer credits TradingView.
    layout: { background: { color: '#ffffff' }, textColor: '#1f2937', attributionLogo: false },
    timeScale: { timeVisible: true, secondsVisible: false },
    rightPriceScale: { borderVisible: false },
  });
  chart.timeScale().subscribeVisibleTimeRangeChange(placeShades);
  chart.timeScale().subscribeSizeChange(placeShades);
  return chart;
}

function clearChart() {
  if (chart) {
    chart.remove();
    chart = null;
    priceSeries = null;
  }
  for (const s of shades) s.remove();
  shades = [];
}

// The x coordinate of a time (Unix seconds) between two data points: the library places only
// the data's own times, and a missing range or the live start rarely falls on one. A time past
// either end of the data is placed at that end (a quote's time is CMC's last_updated, often a
// little before the snapshot that ends a range); null without data.
function xOf(seconds) {
  if (!chart || times.length === 0) return null;
  const t = Math.min(Math.max(chartTime(seconds), times[0]), times[times.length - 1]);
  let lo = 0;
  let hi = times.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= t) lo = mid;
    else hi = mid;
  }
  // Interpolated in pixels between the two points around it (the library places whole logical
  // indices only: a fractional one comes back as 0).
  const scale = chart.timeScale();
  const x0 = scale.logicalToCoordinate(lo);
  const x1 = scale.logicalToCoordinate(hi);
  if (x0 === null || x1 === null) return null;
  const span = times[hi] - times[lo];
  return span > 0 ? x0 + ((t - times[lo]) / span) * (x1 - x0) : x0;
}

// Shaded boxes over the chart where data is missing, and the line where live polling began.
function placeShades() {
  for (const s of shades) s.remove();
  shades = [];
  if (!chart) return;
  const box = document.getElementById('chart');
  const first = times[0];
  const last = times[times.length - 1];
  for (const g of bands) {
    if (chartTime(g.to) < first || chartTime(g.from) > last) continue;
    const x1 = xOf(g.from);
    const x2 = xOf(g.to);
    if (x1 === null || x2 === null) continue;
    const shade = el('div', null, g.className);
    shade.title = g.title;
    shade.style.left = `${Math.min(x1, x2)}px`;
    shade.style.width = `${Math.max(2, Math.abs(x2 - x1))}px`;
    box.append(shade);
    shades.push(shade);
  }
  // The mark where history meets live data: only with history before it (else all shown is
  // live), and up to 15 minutes past the last point (a snapshot's quotes are a little older).
  const live = liveSince === null ? null : chartTime(liveSince);
  const x = live !== null && live > first && live <= last + 900 ? xOf(liveSince) : null;
  if (x !== null) {
    // The label reads leftwards near the right edge, where it would be cut off.
    const mark = el('div', null, x > box.clientWidth - 180 ? 'live-mark flip' : 'live-mark');
    mark.style.left = `${x}px`;
    mark.append(el('span', 'live polling began'));
    mark.title = `live polling began ${new Date(liveSince * 1000).toISOString()}; before it, backfilled history`;
    box.append(mark);
    shades.push(mark);
  }
}

// The bands of an answer: gaps between points, and slots still missing after live polling began.
function bandsOf(gaps, missing) {
  return [
    ...gaps.map((g) => ({ from: secondsOf(g.from), to: secondsOf(g.to), className: 'gap', title: `no data ${g.from} – ${g.to}` })),
    ...missing.map((g) => ({ from: secondsOf(g.from), to: secondsOf(g.to), className: 'gap missing', title: `snapshots missing ${g.from} – ${g.to}` })),
  ];
}

function legend(items) {
  document.getElementById('chart-legend').replaceChildren(...items.map(([className, text]) => {
    const item = el('span', null, 'legend-item');
    item.append(el('i', null, className), text);
    return item;
  }));
}

// Prices on the axis and the crosshair read like the tables (format.js `price`: "82,909.7",
// "0.000412451"), not with the library's fixed 2 or 4 decimals; minMove follows the size of the
// prices so a coin under a cent still gets distinct ticks.
function priceFormatFor(values) {
  const top = Math.max(0, ...values.filter((v) => Number.isFinite(v)).map(Math.abs));
  return { type: 'custom', formatter: price, minMove: priceStep(top) };
}

// What the price axis prints for `value` (the axis is a canvas: the browser test reads this).
export function axisLabel(value) {
  return priceSeries ? priceSeries.priceFormatter().format(value) : null;
}

function seriesParams() {
  const params = { ids: state.ids.join(','), width: 800 };
  if (state.range === 'all') params.range = 'all';
  else params.range = state.range;
  return params;
}

async function drawLine() {
  const body = await getJson('/api/v1/series', seriesParams());
  clearChart();
  const c = ensureChart();
  const compare = state.ids.length > 1;
  let points = 0;
  bands = [];
  liveSince = body.live_since ? secondsOf(body.live_since) : null;
  const seen = new Set();
  body.series.forEach((s, i) => {
    state.names[s.cmc_id] = s.symbol || `#${s.cmc_id}`;
    const line = c.addSeries(LineSeries, {
      color: COLORS[i % COLORS.length], lineWidth: 2, title: state.names[s.cmc_id],
      priceFormat: compare
        ? { type: 'custom', minMove: 0.01, formatter: (v) => `${v.toFixed(2)}%` }
        : priceFormatFor(s.points.map((p) => p.price)),
    });
    if (i === 0) priceSeries = line;
    const first = s.points.find((p) => p.price !== null);
    const data = s.points.filter((p) => p.price !== null).map((p) => ({
      time: chartTime(secondsOf(p.t)),
      value: compare ? (p.price / first.price - 1) * 100 : p.price,
    }));
    line.setData(data);
    for (const d of data) seen.add(d.time);
    points += s.points.length;
    bands.push(...bandsOf(s.gaps, s.missing || []));
  });
  times = [...seen].sort((a, b) => a - b);
  c.timeScale().fitContent();
  renderChips();
  legend([['swatch-live', 'live polling began'], ['swatch-missing', 'no data / snapshots missing']]);
  const hourly = body.interval === '1h' ? 'Hourly closes over this range. ' : '';
  return { points, note: `${hourly}${compare ? 'Change since the start of the range, %.' : `Prices in ${body.currency}.`}` };
}

async function drawCandles() {
  const id = state.ids[0];
  const long = state.range === 'all' || ['30d', '365d'].includes(state.range);
  const params = { id, interval: long ? '1d' : '1h', range: state.range };
  const body = await getJson('/api/v1/candles', params);
  clearChart();
  const c = ensureChart();
  bands = bandsOf([], body.missing || []);
  liveSince = body.live_since ? secondsOf(body.live_since) : null;
  times = body.data.map((k) => chartTime(secondsOf(k.t)));
  const candles = c.addSeries(CandlestickSeries, {
    upColor: '#16a34a', downColor: '#dc2626', wickUpColor: '#16a34a', wickDownColor: '#dc2626',
    borderVisible: false, priceFormat: priceFormatFor(body.data.map((k) => k.high)),
  });
  priceSeries = candles;
  // CMC's own OHLCV bars (backfilled) in their own colours; coinlake's, built from quotes, in
  // the usual green and red.
  candles.setData(body.data.map((k) => {
    const bar = { time: chartTime(secondsOf(k.t)), open: k.open, high: k.high, low: k.low, close: k.close };
    if (k.source === 'cmc') {
      const color = k.close >= k.open ? CMC_UP : CMC_DOWN;
      Object.assign(bar, { color, wickColor: color, borderColor: color });
    }
    return bar;
  }));
  const volume = c.addSeries(HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' }, color: '#93c5fd' });
  c.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  volume.setData(body.data.map((k) => ({ time: chartTime(secondsOf(k.t)), value: k.volume_24h ?? 0 })));
  c.timeScale().fitContent();
  renderChips();
  const cmcBars = body.data.filter((k) => k.source === 'cmc').length;
  legend([['swatch-quotes', 'built from quotes'], ['swatch-cmc', `CMC's own bar${cmcBars ? ` (${cmcBars})` : ''}`],
    ['swatch-live', 'live polling began'], ['swatch-missing', 'snapshots missing']]);
  return { points: body.data.length, note: `${params.interval} candles of ${state.names[id] || `#${id}`} in ${body.currency}; volume is CMC's rolling 24h volume.` };
}

function csvHref() {
  if (state.mode === 'candles') {
    const long = state.range === 'all' || ['30d', '365d'].includes(state.range);
    return apiUrl('/api/v1/candles', { id: state.ids[0], interval: long ? '1d' : '1h', range: state.range, format: 'csv' });
  }
  return apiUrl('/api/v1/series', { ...seriesParams(), format: 'csv' });
}

function renderChips() {
  const chips = state.ids.map((id, i) => {
    const chip = el('span', state.names[id] || `#${id}`, 'chip');
    chip.dataset.color = String(i % COLORS.length);
    chip.style.borderColor = COLORS[i % COLORS.length];
    if (state.ids.length > 1) {
      const remove = el('button', '×');
      remove.setAttribute('aria-label', `remove ${state.names[id] || id}`);
      remove.addEventListener('click', () => {
        setIds(state.ids.filter((x) => x !== id));
        refreshAsset();
      });
      chip.append(remove);
    }
    return chip;
  });
  document.getElementById('selected').replaceChildren(...chips);
}

// The URL and the nav link follow the page's own coin, so a reload or a return from another
// page shows the same chart. replaceState: no hashchange, no second refresh.
function setIds(ids) {
  state.ids = ids;
  const hash = ids.length ? `#/asset/${ids[0]}` : '#/asset';
  document.querySelector('nav a[data-page="asset"]').href = hash;
  if (window.location.hash.startsWith('#/asset') && window.location.hash !== hash) {
    window.history.replaceState(null, '', hash);
  }
}

function fact(label, value, className) {
  const box = el('div');
  box.append(el('dt', label), el('dd', value, className));
  return box;
}

// The coin's row of the latest listings snapshot: the top 100 first (the overview's question,
// so usually a cached answer), then the coin alone if it ranks lower.
async function latestRow(id) {
  const top = await getJson('/api/v1/latest', { limit: 100 });
  const row = top.data.find((q) => q.cmc_id === id);
  if (row || top.count < 100) return row;
  const alone = await getJson('/api/v1/latest', { ids: id });
  return alone.data[0];
}

// Name, symbol, rank, price, 24h change and market cap of the page's own coin.
async function renderHead(id) {
  const head = document.getElementById('asset-head');
  const q = await latestRow(id);
  const title = el('h2');
  if (!q) {
    const found = await getJson('/api/v1/assets', { ids: String(id) });
    const a = found.data[0];
    title.append(a ? a.name : `Coin #${id}`);
    if (a) title.append(el('span', a.symbol, 'sym'));
    head.replaceChildren(title, el('p', a ? 'Not in the latest listings snapshot.' : 'No data for this coin yet.', 'note'));
    return;
  }
  state.names[id] = q.symbol;
  title.append(q.name, el('span', q.symbol, 'sym'));
  if (q.rank !== null && q.rank !== undefined) title.append(el('span', `#${q.rank}`, 'rank'));
  const change = q.percent_change_24h;
  const facts = el('dl', null, 'facts');
  facts.append(fact(`Price (${currency()})`, price(q.price)),
    fact('24h', percent(change), change === null || change === undefined ? '' : (change >= 0 ? 'up' : 'down')),
    fact('Market cap', big(q.market_cap)));
  head.replaceChildren(title, facts);
}

// `#/asset` without a coin: say what to do and offer the top coins, rather than picking one.
async function renderPrompt() {
  const top = await getJson('/api/v1/latest', { limit: 100 });
  const links = top.data.slice(0, 10).map((q) => {
    const a = el('a', `${q.symbol} · ${q.name}`);
    a.href = `#/asset/${q.cmc_id}`;
    return a;
  });
  document.getElementById('asset-top').replaceChildren(
    ...(links.length ? links : [el('span', 'No data yet: the pipeline has not loaded a snapshot.', 'note')]));
}

export async function refreshAsset() {
  const chosen = state.ids.length > 0;
  document.getElementById('asset-prompt').hidden = chosen;
  document.getElementById('asset-view').hidden = !chosen;
  if (!chosen) {
    clearChart();
    await renderPrompt();
    return;
  }
  await renderHead(state.ids[0]);
  const draw = state.mode === 'candles' ? drawCandles : drawLine;
  const { points, note } = await draw();
  document.getElementById('csv').href = csvHref();
  document.getElementById('chart-note').textContent = points === 0
    ? 'No data yet for this range.'
    : `${note} Times in ${state.utc ? 'UTC' : 'local time'}.`;
  placeShades();
}

// The coin of the URL (null: none). One already in a comparison moves to the front, so the
// comparison stays and the header shows the coin the URL names.
export function showAsset(id) {
  if (id === null) setIds([]);
  else setIds([id, ...state.ids.filter((x) => x !== id)]);
}

function pick(group, attr, onPick) {
  const box = document.getElementById(group);
  box.addEventListener('click', (event) => {
    const button = event.target.closest(`button[${attr}]`);
    if (!button) return;
    for (const b of box.querySelectorAll('button')) b.classList.toggle('on', b === button);
    onPick(button.getAttribute(attr));
  });
}

let searchTimer = null;
async function search(text, onError) {
  const list = document.getElementById('search-results');
  if (!text.trim()) {
    list.replaceChildren();
    return;
  }
  try {
    const result = await getJson('/api/v1/assets', { q: text.trim(), limit: 10 });
    list.replaceChildren(...result.data.map((a) => {
      const li = el('li');
      const add = el('button', `${a.symbol} · ${a.name} (#${a.cmc_id})`);
      add.dataset.cmcId = a.cmc_id;
      add.addEventListener('click', () => {
        state.names[a.cmc_id] = a.symbol;
        if (!state.ids.includes(a.cmc_id)) setIds([...state.ids, a.cmc_id].slice(-6));
        list.replaceChildren();
        document.getElementById('search').value = '';
        refreshAsset().catch(onError);
      });
      li.append(add);
      return li;
    }));
    if (!result.data.length) list.replaceChildren(el('li', 'no match', 'note'));
  } catch (err) {
    onError(err);
  }
}

export function initAsset(onError) {
  const redraw = () => refreshAsset().catch(onError);
  pick('ranges', 'data-range', (range) => { state.range = range; redraw(); });
  pick('modes', 'data-mode', (mode) => { state.mode = mode; redraw(); });
  const tz = document.getElementById('tz');
  tz.addEventListener('click', () => {
    state.utc = !state.utc;
    tz.textContent = state.utc ? 'UTC' : 'Local';
    tz.setAttribute('aria-pressed', String(state.utc));
    redraw();
  });
  document.getElementById('search').addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(event.target.value, onError), 200);
  });
}
