// coinlake dashboard: reads the JSON API and refreshes without reloading the page.
const REFRESH_MS = 30_000;
const STALE_AFTER_S = 15 * 60;

const money = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function percentCell(value) {
  if (value === null || value === undefined) return cell('–', 'num');
  return cell(`${value.toFixed(2)}%`, `num ${value >= 0 ? 'up' : 'down'}`);
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

async function refreshHealth() {
  const el = document.getElementById('health');
  try {
    const health = await getJson('/api/v1/health');
    if (health.latest_snapshot === null) {
      el.textContent = 'database up · no snapshot loaded yet';
      el.className = 'health';
    } else {
      const age = Math.round(health.snapshot_age_seconds);
      el.textContent = `latest snapshot ${health.latest_snapshot} (${age} s ago)`;
      el.className = age > STALE_AFTER_S ? 'health stale' : 'health ok';
    }
  } catch (err) {
    el.textContent = `unavailable: ${err.message}`;
    el.className = 'health error';
  }
}

async function refreshLatest() {
  const latest = await getJson('/api/v1/latest?limit=100');
  document.getElementById('empty').hidden = latest.count > 0;
  document.getElementById('snapshot').textContent = latest.snapshot ? `as of ${latest.snapshot}` : '';
  const rows = latest.data.map((q) => {
    const tr = document.createElement('tr');
    tr.dataset.cmcId = q.cmc_id;
    const name = cell(q.name);
    const sym = document.createElement('span');
    sym.className = 'sym';
    sym.textContent = q.symbol;
    name.append(sym);
    tr.append(cell(q.rank ?? ''), name, cell(q.price === null ? '–' : money.format(q.price), 'num'),
              percentCell(q.percent_change_1h), percentCell(q.percent_change_24h),
              percentCell(q.percent_change_7d),
              cell(q.market_cap === null ? '–' : compact.format(q.market_cap), 'num'),
              cell(q.volume_24h === null ? '–' : compact.format(q.volume_24h), 'num'));
    return tr;
  });
  document.querySelector('#latest tbody').replaceChildren(...rows);
}

async function refresh() {
  await Promise.allSettled([refreshHealth(), refreshLatest()]);
}

refresh();
setInterval(refresh, REFRESH_MS);
