// Alerts page: the configured rules (as `coinlake run` lists them in the database), what fires
// now and for how long, the channels and what waits for them, and the notifications recorded,
// newest first, each with its delivery (docs/alerts.md, "On the dashboard").
import { getJson } from './api.js';
import { el, percent, plural, price, when } from './format.js';

const PAGE = 50;
// The older pages the reader asked for ("Show older"): kept across refreshes, so reading the
// history is not undone every 30 seconds; the newest page is refreshed above them.
let older = [];
let nextBefore = null;

// How long something has lasted: "40 s", "12 min", "3 h", "2 days".
function lasting(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

// A configured duration in its own unit: "1 h", "15 min", "90 s", "1 d".
function durationText(seconds) {
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function subjectText(item) {
  if (!item.coin) return item.subject;
  const { symbol, name } = item.coin;
  if (symbol && name) return `${symbol} (${name})`;
  return symbol || name || `id ${item.coin.cmc_id}`;
}

// A notification's value in its rule's unit: a price in its currency, or a percentage (a
// change, or a dominance: btc_dominance, eth_dominance).
function valueText(values) {
  if (!values || values.value === undefined || values.value === null) return '–';
  const percentage = typeof values.metric === 'string' &&
    (values.metric.startsWith('percent') || values.metric.endsWith('_dominance'));
  const show = (v) => (percentage ? percent(v) : `${price(v)}${values.currency ? ` ${values.currency}` : ''}`);
  const level = values.level === undefined || values.level === null ? '' : ` (level ${show(values.level)})`;
  return `${show(values.value)}${level}`;
}

function ruleRow(r) {
  const tr = el('tr');
  const cooldown = r.cooldown_seconds === null ? '–' : (r.cooldown_seconds === 0 ? 'none' : durationText(r.cooldown_seconds));
  tr.append(el('td', r.name), el('td', r.kind, 'hide-phone'), el('td', r.condition, 'condition'),
    el('td', r.channels.join(', '), 'hide-narrow'), el('td', cooldown, 'num hide-narrow'),
    el('td', r.firing ? `${r.firing} firing` : 'quiet', r.firing ? 'stale' : 'ok'));
  return tr;
}

function firingRow(f) {
  const tr = el('tr');
  const rule = f.configured === false ? `${f.rule} (no longer configured)` : f.rule;
  tr.append(el('td', rule), el('td', subjectText(f)), el('td', `for ${lasting(f.firing_seconds)}`, 'stale'),
    el('td', when(f.since), 'hide-phone'), el('td', valueText(f.values), 'num'));
  return tr;
}

function channelRow(c) {
  const tr = el('tr');
  const name = c.configured ? c.name : `${c.name} (not configured)`;
  let state = 'all delivered';
  let cls = 'ok';
  if (c.waiting > 0) {
    state = `${plural(c.waiting, 'notification')} waiting since ${when(c.oldest_waiting_since)}`;
    if (c.attempts > 0) state += `; ${plural(c.attempts, 'attempt')}, next ${when(c.next_attempt_at)}`;
    cls = 'stale';
  }
  tr.append(el('td', name), el('td', c.kind || '–', 'hide-phone'), el('td', state, cls),
    el('td', c.last_error || '', 'hide-narrow'));
  return tr;
}

// Delivered (when), sent within its resolved notification (a collapsed backlog), or waiting: attempts so far and the last error (a channel's rows wait behind
// its oldest undelivered one, so a row not tried yet says so). Named by its channel: a phone has
// no room for the channel's own column.
function deliveryCell(h) {
  if (h.collapsed_into) {
    return el('td', `${h.channel}: sent with its resolve (#${h.collapsed_into}), the channel was down`, 'ok delivery');
  }
  if (h.delivered_at) return el('td', `${h.channel}: delivered ${when(h.delivered_at)}`, 'ok delivery');
  const tried = h.attempts > 0
    ? `waiting · ${plural(h.attempts, 'attempt')}${h.last_error ? ` · ${h.last_error}` : ''}`
    : 'waiting · not tried yet';
  return el('td', `${h.channel}: ${tried}`, 'stale delivery');
}

function historyRow(h) {
  const tr = el('tr');
  tr.append(el('td', h.event, `event-${h.event}`), el('td', h.rule), el('td', subjectText(h)),
    el('td', valueText(h.values), 'num hide-narrow'), el('td', when(h.snapshot)),
    el('td', when(h.recorded_at), 'hide-narrow'), el('td', h.channel, 'hide-phone'), deliveryCell(h));
  return tr;
}

function fill(tableId, emptyId, rows) {
  const table = document.getElementById(tableId);
  table.tBodies[0].replaceChildren(...rows);
  table.hidden = rows.length === 0;
  document.getElementById(emptyId).hidden = rows.length > 0;
}

function renderHistory(first) {
  const items = first.items.concat(older);
  fill('a-history', 'a-history-empty', items.map(historyRow));
  const more = document.getElementById('a-older');
  more.hidden = (older.length ? nextBefore : first.next_before) === null;
}

let latestFirst = { items: [], next_before: null };

export function initAlerts(showError) {
  document.getElementById('a-older').addEventListener('click', async () => {
    try {
      const before = older.length ? nextBefore : latestFirst.next_before;
      if (before === null) return;
      const page = await getJson('/api/v1/alerts', { limit: PAGE, before });
      older = older.concat(page.history.items);
      nextBefore = page.history.next_before;
      renderHistory(latestFirst);
    } catch (err) {
      showError(err);
    }
  });
}

export async function refreshAlerts() {
  const a = await getJson('/api/v1/alerts', { limit: PAGE });
  const none = document.getElementById('a-no-rules');
  none.hidden = a.rules.length > 0;
  none.textContent = a.rules_listed
    ? 'No alert rules configured: see docs/alerts.md.'
    : 'The ETL has not listed its alert rules in this database yet (its schema is older): see docs/alerts.md.';
  fill('a-rules', 'a-no-rules', a.rules.map(ruleRow));
  none.hidden = a.rules.length > 0;
  fill('a-firing', 'a-firing-empty', a.firing.map(firingRow));
  fill('a-channels', 'a-channels-empty', a.channels.map(channelRow));
  // A page of older items keeps its place only while the newest page still leads up to it.
  if (older.length && a.history.items.length && latestFirst.items.length &&
      a.history.items[a.history.items.length - 1].id !== latestFirst.items[latestFirst.items.length - 1].id) {
    older = [];
    nextBefore = null;
  }
  latestFirst = a.history;
  renderHistory(a.history);
}
