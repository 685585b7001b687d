// Pipeline page: freshness, credits, retention, errors by class, missing snapshots, last runs.
import { getJson } from './api.js';
import { ago, duration, el, plural, when } from './format.js';

function renderFreshness(freshness) {
  const fresh = document.getElementById('p-fresh');
  if (freshness.latest_snapshot === null) {
    fresh.textContent = 'no data yet';
    fresh.className = '';
  } else {
    fresh.textContent = `${when(freshness.latest_snapshot)} (${ago(freshness.snapshot_age_seconds)})${freshness.stale ? ' · stale' : ''}`;
    fresh.className = freshness.stale ? 'stale' : 'ok';
  }
}

// Our runs' spending in words, then what is left: CMC's own figures (every use of the key) once
// a `coinlake run` has read the plan. CMC's count is named only when it differs from ours (the
// key is also used elsewhere), else the card would print the same number twice.
function creditsText(credits) {
  const ours = `${plural(credits.used_this_month, 'credit')} used this month by ${plural(credits.runs_this_month, 'run')}`;
  const plan = credits.plan;
  if (!plan) return `${ours}; plan not read yet`;
  const left = `${plan.left_this_month.toLocaleString('en-US')} of ${plan.credits_per_month.toLocaleString('en-US')} left`;
  const theirs = plan.used_this_month === credits.used_this_month
    ? '' : ` (CMC counts ${plural(plan.used_this_month, 'credit')} for the key)`;
  return `${ours}; ${left}${theirs}`;
}

// A slot lasts the ETL's listings interval: 300 s reads "5-minute".
function slotName(seconds) {
  if (seconds % 3600 === 0) return `${seconds / 3600}-hour`;
  if (seconds % 60 === 0) return `${seconds / 60}-minute`;
  return `${seconds}-second`;
}

// The same length for a range of missing slots: "5 min", "1 h", "20 s".
function slotLength(seconds) {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

// `expected` is 0 until the first slot after the first snapshot has ended.
function gapsText(gaps, freshness) {
  if (freshness.latest_snapshot === null) return 'no data yet';
  const slot = slotName(gaps.slot_seconds);
  if (gaps.expected === 0) return `no complete ${slot} slot yet`;
  return `${gaps.missing} of ${gaps.expected} ${slot} snapshots missing`;
}

// One line per ETL host (`coinlake run`): alive, stopped, or stale (a cycle long overdue).
function renderHeartbeats(heartbeats) {
  const lines = heartbeats.map((h) => {
    const state = h.state === 'stopped' ? 'stopped' : (h.stale ? 'stale' : 'ok');
    const success = h.last_success_at ? `last ok ${when(h.last_success_at)}` : 'no ok cycle yet';
    return el('div', `host ${h.host}: ${h.state}${h.stale ? ' · stale' : ''}, beat ${ago(h.beat_age_seconds)}, ${success}`, state);
  });
  document.getElementById('p-heartbeat').replaceChildren(
    ...(lines.length ? lines : [el('span', 'no run process yet', 'note')]));
}

// The last retention run: a short headline (off, the retention, or the partition it kept) and
// the details under it (what only the lake holds now, the last run, why a partition stayed).
// A partition is a week (a month on a database older than schema 21): shown by its dates.
function retentionText(r) {
  if (!r) return ['not run yet', 'quotes are kept forever', ''];
  if (r.retention_days === 0) return ['off', `quotes are kept forever (checked ${when(r.run_at)})`, ''];
  const day = (t) => t.slice(0, 10);
  const only = r.partitions_dropped
    ? `${plural(r.partitions_dropped, 'partition')} in the lake only, before ${day(r.lake_only_before)}`
    : 'no partition dropped yet';
  let detail = `${only}; last run ${when(r.run_at)}`;
  if (r.dropped.length) detail += `, dropped ${r.dropped.join(', ')}`;
  if (r.error) return [`${r.retention_days} days · failed`, `${detail}; ${r.error}`, 'stale'];
  if (r.blocked_start) {
    return [`${r.retention_days} days · ${day(r.blocked_start)} to ${day(r.blocked_end)} kept`,
      `${detail}; ${r.blocked_reason}`, 'stale'];
  }
  return [`${r.retention_days} days`, detail, 'ok'];
}

function renderRetention(r) {
  const [headline, detail, state] = retentionText(r);
  const card = document.getElementById('p-retention');
  card.textContent = headline;
  card.className = state;
  document.getElementById('p-retention-detail').textContent = detail;
}

// The stored audit results (`run` audits each closed day; `coinlake audit` too): clean, or the
// days whose newest result has findings, with their kinds.
function auditText(a) {
  if (!a) return ['not run yet', 'run audits each closed day once compaction has caught up', ''];
  const last = `${plural(a.days_audited, 'day')} audited, newest ${a.newest_day}; last audit ${when(a.last_audited_at)}`;
  if (!a.days_with_findings) return ['clean', last, 'ok'];
  const days = a.with_findings.map((d) => `${d.day}: ${d.kinds.join(', ')} (${d.findings})`).join('; ');
  const more = a.days_with_findings > a.with_findings.length ? `; and ${a.days_with_findings - a.with_findings.length} more` : '';
  return [`${plural(a.days_with_findings, 'day')} with findings`, `${days}${more}; ${last}`, 'stale'];
}

function renderAudit(a) {
  const [headline, detail, state] = auditText(a);
  const card = document.getElementById('p-audit');
  card.textContent = headline;
  card.className = state;
  document.getElementById('p-audit-detail').textContent = detail;
}

// A table or list and the plain sentence shown instead of it when it is empty (the same form
// for every section: "No errors.", "No missing snapshots…", "No runs yet.").
function fillOrSay(listId, emptyId, items, emptyText) {
  const list = document.getElementById(listId);
  (list.tBodies ? list.tBodies[0] : list).replaceChildren(...items);
  list.hidden = items.length === 0;
  const empty = document.getElementById(emptyId);
  empty.hidden = items.length > 0;
  if (emptyText) empty.textContent = emptyText;
}

function errorRow(e) {
  const tr = el('tr');
  tr.append(el('td', e.error_class), el('td', e.count, 'num'), el('td', when(e.last_at)), el('td', e.last_error || ''));
  return tr;
}

// Quotes a snapshot repeated unchanged (CMC had not refreshed them) add no row: say so, or a
// cycle that fetched a full snapshot between two refreshes reads as "0".
function rowsText(r) {
  return r.quotes_carried ? `${r.rows} (+${r.quotes_carried} carried)` : r.rows;
}

function runRow(r) {
  const tr = el('tr');
  tr.append(el('td', r.id), el('td', when(r.started_at)), el('td', r.outcome, `outcome-${r.outcome}`),
    el('td', r.credits, 'num'), el('td', rowsText(r), 'num'), el('td', duration(r.duration_seconds), 'num'),
    el('td', r.error_class ? `${r.error_class}: ${r.error || ''}` : ''));
  return tr;
}

// What the API key's plan allows per historical endpoint (`coinlake backfill` probes it).
function accessRow(a) {
  const tr = el('tr');
  tr.append(el('td', a.endpoint), el('td', a.allowed ? 'yes' : 'no', a.allowed ? 'ok' : 'stale'),
    el('td', when(a.checked_at)), el('td', a.http_status ?? '–', 'num'), el('td', a.error_code ?? '–', 'num'),
    el('td', when(a.earliest)), el('td', a.message));
  return tr;
}

function noGapsText(p) {
  if (p.freshness.latest_snapshot === null) return 'No data yet.';
  if (p.gaps.expected === 0) return `None yet: no complete ${slotName(p.gaps.slot_seconds)} slot so far.`;
  return `None since ${when(p.gaps.from)}.`;
}

export async function refreshPipeline() {
  const p = await getJson('/api/v1/pipeline', { runs: 20 });
  renderFreshness(p.freshness);
  document.getElementById('p-credits').textContent = creditsText(p.credits);
  document.getElementById('p-gaps').textContent = gapsText(p.gaps, p.freshness);
  renderHeartbeats(p.heartbeats);
  renderRetention(p.retention);
  renderAudit(p.audit);
  fillOrSay('p-errors', 'p-errors-empty', p.errors.by_class.map(errorRow));
  fillOrSay('p-gap-list', 'p-gap-list-empty',
    p.gaps.ranges.map((g) => el('li', `${when(g.from)}: ${g.slots} × ${slotLength(p.gaps.slot_seconds)}`)),
    noGapsText(p));
  fillOrSay('p-access', 'p-access-empty', (p.historical_access || []).map(accessRow));
  fillOrSay('p-runs', 'p-runs-empty', p.runs.map(runRow));
}
