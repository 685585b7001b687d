// Market overview: global figures, gainers and losers, the top 100 with sparklines.
import { getJson } from './api.js';
import { big, el, percentCell, price, sparkline, when } from './format.js';

async function refreshGlobal() {
  const g = await getJson('/api/v1/global');
  const source = document.getElementById('g-source');
  if (g.source === null) {
    for (const id of ['g-mcap', 'g-btc', 'g-vol']) document.getElementById(id).textContent = 'no data yet';
    source.textContent = 'No global metrics and no snapshot loaded yet.';
    return;
  }
  document.getElementById('g-mcap').textContent = big(g.total_market_cap);
  document.getElementById('g-btc').textContent =
    g.btc_dominance === null ? '–' : `${g.btc_dominance.toFixed(1)}%`;
  document.getElementById('g-vol').textContent = big(g.total_volume_24h);
  source.textContent = g.source === 'global_metrics'
    ? `From CoinMarketCap global metrics, ${when(g.ts)}.`
    : `Global metrics: no data yet. Computed from the latest snapshot (${g.coins} coins), ${when(g.ts)}.`;
}

function moverItem(m) {
  const li = el('li');
  const a = el('a', `${m.symbol} `);
  a.href = `#/asset/${m.cmc_id}`;
  li.append(a, el('span', `${m.percent_change.toFixed(2)}%`, m.percent_change >= 0 ? 'up' : 'down'));
  return li;
}

async function refreshMovers() {
  const span = document.getElementById('movers-window').value;
  const m = await getJson('/api/v1/movers', { window: span, limit: 5 });
  // An empty list is said in plain text beside it: inside the <ol> it read as "1. no data yet".
  const fill = (id, items) => {
    document.getElementById(id).replaceChildren(...items.map(moverItem));
    document.getElementById(id).hidden = items.length === 0;
    document.getElementById(`${id}-empty`).hidden = items.length > 0;
  };
  fill('gainers', m.gainers);
  fill('losers', m.losers);
}

async function refreshLatest() {
  const latest = await getJson('/api/v1/latest', { limit: 100 });
  document.getElementById('empty').hidden = latest.count > 0;
  document.getElementById('snapshot').textContent = latest.snapshot ? `as of ${when(latest.snapshot)}` : '';
  const sparks = latest.count
    ? await getJson('/api/v1/sparklines', { ids: latest.data.map((q) => q.cmc_id).join(',') })
    : { data: {} };
  const rows = latest.data.map((q) => {
    const tr = el('tr');
    tr.dataset.cmcId = q.cmc_id;
    const name = el('td', null, 'name');
    const link = el('a', q.name);
    link.href = `#/asset/${q.cmc_id}`;
    name.append(link, el('span', q.symbol, 'sym'));
    const spark = el('td', null, 'hide-narrow');
    spark.append(sparkline(sparks.data[q.cmc_id]));
    // hide-phone/hide-narrow match the header cells in index.html (see style.css).
    tr.append(el('td', q.rank ?? ''), name, el('td', price(q.price), 'num'),
      percentCell(q.percent_change_1h, 'hide-phone'), percentCell(q.percent_change_24h),
      percentCell(q.percent_change_7d, 'hide-phone'), el('td', big(q.market_cap), 'num hide-narrow'),
      el('td', big(q.volume_24h), 'num hide-narrow'), spark);
    return tr;
  });
  document.querySelector('#latest tbody').replaceChildren(...rows);
}

export function initMarket(onError) {
  document.getElementById('movers-window').addEventListener('change', () => refreshMovers().catch(onError));
}

export async function refreshMarket() {
  const results = await Promise.allSettled([refreshGlobal(), refreshMovers(), refreshLatest()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
