// coinlake dashboard: hash routing between the pages; each page refreshes itself from the JSON
// API every 30 seconds without reloading.
import { initAlerts, refreshAlerts } from './alerts.js';
import { getJson } from './api.js';
import { ago, when } from './format.js';
import { initAsset, refreshAsset, showAsset } from './asset.js';
import { initCurrency } from './currency.js';
import { initGlobalPage, refreshGlobalPage } from './global.js';
import { initMarket, refreshMarket } from './market.js';
import { refreshPipeline } from './pipeline.js';

const REFRESH_MS = 30_000;
const pages = { market: refreshMarket, asset: refreshAsset, global: refreshGlobalPage, pipeline: refreshPipeline,
  alerts: refreshAlerts };
let current = 'market';

function showError(err) {
  const el = document.getElementById('health');
  el.textContent = `error: ${err.message}`;
  el.className = 'health error';
}

async function refreshHealth() {
  const el = document.getElementById('health');
  try {
    const health = await getJson('/api/v1/health');
    if (health.latest_snapshot === null) {
      el.textContent = 'no data yet: no snapshot loaded';
      el.className = 'health';
    } else {
      const age = health.snapshot_age_seconds;
      el.textContent = `latest snapshot ${when(health.latest_snapshot)} (${ago(age)})${health.stale ? ' · stale' : ''}`;
      el.className = health.stale ? 'health stale' : 'health ok';
    }
  } catch (err) {
    el.textContent = `unavailable: ${err.message}`;
    el.className = 'health error';
  }
}

function route() {
  const [, page, arg] = window.location.hash.split('/');
  current = pages[page] ? page : 'market';
  if (current === 'asset') showAsset(arg && /^\d+$/.test(arg) ? Number(arg) : null);
  for (const section of document.querySelectorAll('.page')) section.hidden = section.id !== `page-${current}`;
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('on', link.dataset.page === current);
  document.body.dataset.page = current;
  refresh();
}

async function refresh() {
  await refreshHealth();
  try {
    await pages[current]();
    document.body.dataset.loaded = current;
  } catch (err) {
    showError(err);
  }
}

initMarket(showError);
initAsset(showError);
initGlobalPage(showError);
initAlerts(showError);
initCurrency(refresh, showError);
window.addEventListener('hashchange', route);
route();
setInterval(refresh, REFRESH_MS);
