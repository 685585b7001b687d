// Global page: total market cap, 24h volume, and BTC and ETH dominance over a range, from the
// global metrics (polled live and backfilled), one chart each.
import { HistogramSeries, LineSeries, createChart } from './vendor/lightweight-charts.js';
import { getJson } from './api.js';
import { big, when } from './format.js';

const state = { range: '30d' };
let charts = [];

function secondsOf(iso) {
  return Math.floor(Date.parse(iso) / 1000);
}

function makeChart(id) {
  return createChart(document.getElementById(id), {
    autoSize: true,
    // The logo injects an inline <style>, which the CSP forbids; the footer credits TradingView.
    layout: { background: { color: '#ffffff' }, textColor: '#1f2937', attributionLogo: false },
    timeScale: { timeVisible: true, secondsVisible: false },
    rightPriceScale: { borderVisible: false },
  });
}

function clearCharts() {
  for (const c of charts) c.remove();
  charts = [];
}

const bigFormat = { type: 'custom', minMove: 1, formatter: big };
const percentFormat = { type: 'custom', minMove: 0.01, formatter: (v) => `${v.toFixed(2)}%` };

// Points with a value for `field`, as the library's {time, value}.
function line(points, field) {
  return points.filter((p) => p[field] !== null).map((p) => ({ time: secondsOf(p.t), value: p[field] }));
}

export async function refreshGlobalPage() {
  const body = await getJson('/api/v1/global/series', { range: state.range, width: 800 });
  clearCharts();
  const note = document.getElementById('gl-note');
  document.getElementById('gl-charts').hidden = body.count === 0;
  if (body.count === 0) {
    note.textContent = `No global metrics in ${body.currency} for this range yet: the ETL polls them, and a backfill loads their history.`;
    return;
  }
  const cap = makeChart('gl-mcap');
  cap.addSeries(LineSeries, { color: '#2563eb', lineWidth: 2, title: 'market cap', priceFormat: bigFormat })
    .setData(line(body.points, 'total_market_cap'));
  const volume = makeChart('gl-volume');
  volume.addSeries(HistogramSeries, { color: '#93c5fd', title: 'volume 24h', priceFormat: bigFormat })
    .setData(line(body.points, 'total_volume_24h'));
  const dominance = makeChart('gl-dominance');
  dominance.addSeries(LineSeries, { color: '#f59e0b', lineWidth: 2, title: 'BTC', priceFormat: percentFormat })
    .setData(line(body.points, 'btc_dominance'));
  dominance.addSeries(LineSeries, { color: '#7c3aed', lineWidth: 2, title: 'ETH', priceFormat: percentFormat })
    .setData(line(body.points, 'eth_dominance'));
  charts = [cap, volume, dominance];
  for (const c of charts) c.timeScale().fitContent();
  const last = body.points[body.points.length - 1];
  note.textContent = `${body.count} points in ${body.currency}, ${when(body.points[0].t)} to ${when(last.t)}; latest market cap ${big(last.total_market_cap)}. Times in UTC.`;
}

export function initGlobalPage(onError) {
  const box = document.getElementById('gl-ranges');
  box.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-range]');
    if (!button) return;
    for (const b of box.querySelectorAll('button')) b.classList.toggle('on', b === button);
    state.range = button.dataset.range;
    refreshGlobalPage().catch(onError);
  });
}
