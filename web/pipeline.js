// Pipeline page: freshness, credits, errors by class, missing snapshots, last runs.
import { getJson } from './api.js';
import { ago, el, when } from './format.js';

export async function refreshPipeline() {
  const p = await getJson('/api/v1/pipeline', { runs: 20 });
  const fresh = document.getElementById('p-fresh');
  if (p.freshness.latest_snapshot === null) {
    fresh.textContent = 'no data yet';
    fresh.className = '';
  } else {
    fresh.textContent = `${when(p.freshness.latest_snapshot)} (${ago(p.freshness.snapshot_age_seconds)})${p.freshness.stale ? ' · stale' : ''}`;
    fresh.className = p.freshness.stale ? 'stale' : 'ok';
  }
  // CMC's own figures (every use of the key) when the ETL has read its plan; else our runs only.
  const plan = p.credits.plan;
  document.getElementById('p-credits').textContent = plan
    ? `${plan.left_this_month.toLocaleString('en-US')} left of ${plan.credits_per_month.toLocaleString('en-US')} · ${plan.used_this_month.toLocaleString('en-US')} used (${p.credits.used_this_month} by ${p.credits.runs_this_month} runs)`
    : `${p.credits.used_this_month} used in ${p.credits.runs_this_month} runs · plan not read yet`;
  document.getElementById('p-gaps').textContent = p.gaps.expected === 0
    ? 'no data yet'
    : `${p.gaps.missing} of ${p.gaps.expected} 5-minute snapshots missing`;
  // One line per ETL host (`coinlake run`): alive, stopped, or stale (a cycle long overdue).
  const beat = document.getElementById('p-heartbeat');
  beat.replaceChildren(...(p.heartbeats.length ? p.heartbeats.map((h) => {
    const state = h.state === 'stopped' ? 'stopped' : (h.stale ? 'stale' : 'ok');
    const success = h.last_success_at ? `last ok ${when(h.last_success_at)}` : 'no ok cycle yet';
    return el('div', `${h.host}: ${h.state}${h.stale ? ' · stale' : ''}, beat ${ago(h.beat_age_seconds)}, ${success}`, state);
  }) : [el('span', 'no run process yet', 'note')]));
  const errors = p.errors.by_class.map((e) => {
    const tr = el('tr');
    tr.append(el('td', e.error_class), el('td', e.count, 'num'), el('td', when(e.last_at)), el('td', e.last_error || ''));
    return tr;
  });
  document.getElementById('p-errors-empty').hidden = errors.length > 0;
  document.getElementById('p-errors').hidden = errors.length === 0;
  document.querySelector('#p-errors tbody').replaceChildren(...errors);
  document.getElementById('p-gap-list').replaceChildren(...(p.gaps.ranges.length
    ? p.gaps.ranges.map((g) => el('li', `${when(g.from)}: ${g.slots} × 5 min`))
    : [el('li', 'none', 'note')]));
  const runs = p.runs.map((r) => {
    const tr = el('tr');
    tr.append(el('td', r.id), el('td', when(r.started_at)), el('td', r.outcome, `outcome-${r.outcome}`),
      el('td', r.credits, 'num'), el('td', r.rows, 'num'),
      el('td', r.duration_seconds === null ? '–' : r.duration_seconds.toFixed(1), 'num'),
      el('td', r.error_class ? `${r.error_class}: ${r.error || ''}` : ''));
    return tr;
  });
  document.querySelector('#p-runs tbody').replaceChildren(...(runs.length ? runs : [el('tr', 'no runs yet', 'note')]));
}
