// The alerts soak's judge (tests/crash/alerts_soak.sh): recomputes, from the live snapshots the
// run loaded, the notifications docs/alerts.md ("When a rule fires") says the rules make, with an
// implementation of its own (not coinlake's evaluate.cc), and compares them with what the
// webhook receiver processed and with alert_outbox.
//
//   node alerts_verify.mjs --rules FILE --channels ops,dev --lake DIR --ledger FILE
//        --records FILE --outbox FILE [--preloaded N] [--max-duplicates N]
//        [--min-notifications N] [--min-cooldown-quiet N] [--summary-out FILE] [--api URL]
//
// rules: one rule a line, exactly as given to coinlake (--alert-rule). ledger: key, endpoint
// (lake_objects of the live endpoints) in load order (loaded_at). The first `preloaded` of them
// were loaded before any rule was configured: they count as loaded (a later, older snapshot is
// stale) but were evaluated by nothing. records: the receiver's JSON lines. outbox: id, channel,
// idempotency_key, delivered (t/f), base64 of payload::text, in id order.
//
// Checks: every request's signature was valid; per channel, the market rules' keys the
// receiver processed (answered 2xx), in the order first processed, are exactly the expected ones
// in order (pipeline notifications, about run itself, are not recomputed: they must match
// alert_outbox); a key processed again carries byte-identical bodies (at-least-once: counted, at
// most --max-duplicates plus the slow answers); each body says what the snapshot says (rule,
// event, coin, value, time, snapshot, channel); alert_outbox holds the same notifications in the
// same order, all delivered, each payload the bytes the receiver got; after a failed request,
// the channel's next one is the same key, not sooner than Retry-After (or the first backoff).
// With --api (a `coinlake serve` on the same database): the alerts page's history, read through
// GET /api/v1/alerts page by page, is alert_outbox, row for row (newest first).
// Prints a summary; exits 1 naming every violation.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const required of ['rules', 'channels', 'lake', 'ledger', 'records', 'outbox']) {
  if (!args[required]) { console.error(`alerts_verify.mjs: --${required} is required`); process.exit(2); }
}
const problems = [];
const problem = (msg) => { if (problems.length < 40) problems.push(msg); else if (problems.length === 40) problems.push('...'); };
const lines = (file) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);

// --- Rules: the subset of the grammar the soak uses, parsed here. ---
const DURATION_S = { s: 1, m: 60, h: 3600, d: 86400 };
function parseDuration(text) {
  if (text === '0') return 0;
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * DURATION_S[m[2]];
}
const allChannels = args.channels.split(',');
function parseRule(line) {
  const m = /^([A-Za-z0-9_.-]+):\s+(.*)$/.exec(line);
  if (!m) throw new Error(`bad rule ${line}`);
  const words = m[2].trim().split(/\s+/);
  const rule = { name: m[1], cooldown_s: 3600, hysteresis: 0, currency: 'USD', channels: allChannels };
  let i = 0;
  const kind = words[i++];
  if (kind === 'price') rule.metric = 'price';
  else if (kind === 'change') rule.metric = `percent_change_${words[i++]}`;
  else throw new Error(`bad rule kind ${kind}`);
  const coin = words[i++];
  if (coin.startsWith('id:')) rule.id = Number(coin.slice(3)); else rule.symbol = coin;
  rule.direction = words[i++];
  if (rule.direction !== 'above' && rule.direction !== 'below') throw new Error(`bad direction in ${line}`);
  rule.level = Number(words[i++]);
  for (; i < words.length; i++) {
    const w = words[i];
    if (w.startsWith('cooldown=')) rule.cooldown_s = parseDuration(w.slice(9));
    else if (w.startsWith('hysteresis=')) rule.hysteresis = Number(w.slice(11));
    else if (w.startsWith('channels=')) rule.channels = w.slice(9).split(',');
    else if (/^[A-Z]{3,}$/.test(w)) rule.currency = w;
    else throw new Error(`unknown word ${w} in ${line}`);
  }
  return rule;
}
const rules = lines(args.rules).map(parseRule);

// --- Snapshots, in load order. ---
const ledger = lines(args.ledger).map((l) => { const [key, endpoint] = l.split('\t'); return { key, endpoint }; });
const preloaded = Number(args.preloaded || 0);

function readSnapshot(key) {
  const file = path.join(args.lake, ...key.split('/'));
  const json = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  const ms = Date.parse(json.status.timestamp);
  if (!Number.isFinite(ms)) throw new Error(`${key}: no status.timestamp`);
  const data = Array.isArray(json.data) ? json.data : Object.values(json.data).flat();
  return { key, ms, data };
}

// The row a rule watches: by id, or the best-ranked coin with the symbol (ties: smaller id).
function rowOf(rule, snapshot) {
  let best = null;
  for (const coin of snapshot.data) {
    if (!coin.quote || !coin.quote[rule.currency]) continue;
    if (rule.id !== undefined) { if (coin.id === rule.id) return coin; continue; }
    if (coin.symbol !== rule.symbol) continue;
    const rank = (c) => (Number.isInteger(c.cmc_rank) ? c.cmc_rank : Infinity);
    if (!best || rank(coin) < rank(best) || (rank(coin) === rank(best) && coin.id < best.id)) best = coin;
  }
  return best;
}

const expected = [];  // in recording order
const state = new Map();  // rule/cmc_id -> {firing, lastNotifiedMs}
let newestLoadedMs = -Infinity;
let evaluated = 0, stale = 0, cooldownQuiet = 0;
for (let n = 0; n < ledger.length; n++) {
  const snapshot = readSnapshot(ledger[n].key);
  const isStale = snapshot.ms < newestLoadedMs;
  newestLoadedMs = Math.max(newestLoadedMs, snapshot.ms);
  if (n < preloaded) continue;
  if (isStale) { stale++; continue; }
  evaluated++;
  for (const rule of rules) {
    const row = rowOf(rule, snapshot);
    if (!row) continue;
    const v = row.quote[rule.currency][rule.metric];
    if (typeof v !== 'number') continue;
    const above = rule.direction === 'above';
    const holds = above ? v > rule.level : v < rule.level;
    const resolved = above ? v <= rule.level - rule.hysteresis : v >= rule.level + rule.hysteresis;
    const id = `${rule.name}/${row.id}`;
    const s = state.get(id) || { firing: false, lastNotifiedMs: null };
    let event = null;
    if (!s.firing && holds) {
      if (s.lastNotifiedMs === null || snapshot.ms - s.lastNotifiedMs >= rule.cooldown_s * 1000) {
        event = 'firing';
        s.firing = true;
        s.lastNotifiedMs = snapshot.ms;
      } else {
        cooldownQuiet++;
      }
    } else if (s.firing && resolved) {
      event = 'resolved';
      s.firing = false;
    }
    state.set(id, s);
    if (!event) continue;
    for (const channel of rule.channels) {
      expected.push({
        key: `${rule.name}/${row.id}/${event}/${Math.floor(snapshot.ms / 1000)}/${channel}`,
        channel, rule: rule.name, event, cmc_id: row.id, value: v,
        time: new Date(snapshot.ms).toISOString(), snapshot: snapshot.key,
      });
    }
  }
}
const expectedByKey = new Map(expected.map((e) => [e.key, e]));
if (expectedByKey.size !== expected.length) problem('the oracle made two notifications with one key (a test bug)');
const perChannel = (list) => {
  const out = new Map(allChannels.map((c) => [c, []]));
  for (const item of list) {
    if (!out.has(item.channel)) out.set(item.channel, []);
    out.get(item.channel).push(item);
  }
  return out;
};
function compareSequences(what, channel, got, want) {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) {
      const later = want.indexOf(got[i], i + 1) > i;
      problem(`${what}, channel ${channel}: #${i + 1} is ${got[i]}, expected ${want[i]}` +
        (later ? ' (missing, or out of order)' : expectedByKey.has(got[i]) ? ' (out of order)' : ' (not expected at all)'));
      return;
    }
  }
  if (got.length < want.length) problem(`${what}, channel ${channel}: ${want.length - got.length} missing, first ${want[got.length]}`);
  if (got.length > want.length) problem(`${what}, channel ${channel}: ${got.length - want.length} more than expected, first ${got[want.length]}`);
}

// --- Backlog collapsing (docs/alerts.md): a firing and its resolved, both waiting on a channel
// that was down, go out as one notification, the resolved carrying the firing. The outbox says
// which firing rows were collapsed (collapsed_into: the resolved row's id); each must be a firing
// the rules made whose very next notification of the same rule, coin and channel is that
// resolved, and the resolved's body must carry the firing (its key, time and value).
const outbox = lines(args.outbox).map((l) => {
  const [id, channel, key, delivered, payload, collapsedInto] = l.split('\t');
  const bytes = Buffer.from(payload, 'base64');
  const json = JSON.parse(bytes.toString('utf8'));
  const pipeline = json.kind === 'pipeline';
  return { id: Number(id), channel, key, delivered: delivered === 't', payload: bytes, pipeline,
           journaled: pipeline && json.check === 'database-outage' && json.event === 'firing',
           collapsedInto: collapsedInto ? Number(collapsedInto) : null };
});
// A database-outage firing may go out from run's journal while the database is down, before
// the outbox can hold it (docs/alerts.md, "The database outage"): recorded once the database is
// back, after rows the channel received later, and sent by a sender of its own. Its place in the
// channel's order is not checked; that it was received, and once, is.
const journaledKeys = new Set(outbox.filter((o) => o.journaled).map((o) => o.key));
const outboxById = new Map(outbox.map((o) => [o.id, o]));
const collapsedInto = new Map();  // firing key -> the resolved key that carried it
for (const row of outbox.filter((o) => o.collapsedInto !== null)) {
  const into = outboxById.get(row.collapsedInto);
  if (row.pipeline) {  // not recomputed (timing): the pair must be the same rule and subject
    const [rule, subject, event] = row.key.split('/');
    const [intoRule, intoSubject, intoEvent] = into ? into.key.split('/') : [];
    if (event !== 'firing' || intoEvent !== 'resolved' || intoRule !== rule || intoSubject !== subject ||
        into.channel !== row.channel || JSON.parse(into.payload.toString('utf8')).collapsed !== row.key) {
      problem(`alert_outbox ${row.id} (${row.key}) collapsed into ${into ? into.key : row.collapsedInto}: not its resolved`);
    }
    collapsedInto.set(row.key, into ? into.key : null);
    continue;
  }
  const firing = expectedByKey.get(row.key);
  if (!into || !firing || firing.event !== 'firing') {
    problem(`alert_outbox ${row.id} (${row.key}) collapsed into ${row.collapsedInto}: not an expected firing and its resolved`);
    continue;
  }
  const nextOfPair = expected.find((e, i) => i > expected.indexOf(firing) && e.channel === firing.channel &&
    e.rule === firing.rule && e.cmc_id === firing.cmc_id);
  if (!nextOfPair || nextOfPair.key !== into.key || nextOfPair.event !== 'resolved') {
    problem(`${row.key} collapsed into ${into.key}, but the rules' next notification of that rule and coin is ${nextOfPair && nextOfPair.key}`);
    continue;
  }
  const carried = JSON.parse(into.payload.toString('utf8'));
  if (carried.collapsed !== firing.key || carried.fired_at !== firing.time || carried.fired_value !== firing.value) {
    problem(`${into.key} carries ${JSON.stringify([carried.collapsed, carried.fired_at, carried.fired_value])}, not the firing ${JSON.stringify([firing.key, firing.time, firing.value])}`);
  }
  collapsedInto.set(row.key, into.key);
}
const sentAlone = (key) => !collapsedInto.has(key);

// --- What the receiver processed. ---
const records = lines(args.records).map((l) => JSON.parse(l));
const answers = {};
let badSignatures = 0, late = 0, duplicates = 0;
const firstBody = new Map();
const processed = [];
for (const r of records) {
  answers[r.answer] = (answers[r.answer] || 0) + 1;
  if (!r.sig_ok) { badSignatures++; problem(`request #${r.n} (${r.key}) to ${r.path}: signature invalid`); continue; }
  if (r.late) late++;
  if (r.answer < 200 || r.answer > 299) continue;
  const body = Buffer.from(r.body_b64, 'base64');
  if (firstBody.has(r.key)) {
    duplicates++;
    if (!firstBody.get(r.key).equals(body)) problem(`${r.key} sent again with a different body`);
    continue;
  }
  firstBody.set(r.key, body);
  let json;
  try { json = JSON.parse(body.toString('utf8')); } catch { problem(`${r.key}: body is not JSON`); continue; }
  const channel = r.path.replace(/^\/hook\//, '');
  processed.push({ key: r.key, channel, pipeline: json.kind === 'pipeline' });
  if (json.kind === 'pipeline') continue;  // about run itself: checked against alert_outbox below
  const want = expectedByKey.get(r.key);
  if (!want) continue;  // reported by the sequence comparison
  const checks = {
    idempotency_key: [json.idempotency_key, want.key], channel: [json.channel, want.channel],
    request_channel: [channel, want.channel], rule: [json.rule, want.rule], event: [json.event, want.event],
    time: [json.time, want.time], snapshot: [json.snapshot, want.snapshot],
    cmc_id: [json.subject && json.subject.cmc_id, want.cmc_id], value: [json.values && json.values.value, want.value],
  };
  for (const [field, [got, exp]] of Object.entries(checks)) {
    if (got !== exp) problem(`${r.key}: ${field} is ${JSON.stringify(got)}, expected ${JSON.stringify(exp)}`);
  }
}
// After a failed request (429, 500, or a slow answer the sender gave up on) the channel's next
// request is the same key again (order kept, nothing skipped), and after a 429 or 500 not sooner
// than its Retry-After, else the first backoff (1 s). A kill or a receiver outage between them
// changes neither.
const BACKOFF_MS = 1000, CLOCK_SLACK_MS = 50;
let retriesChecked = 0;
for (const channelPath of new Set(records.map((r) => r.path))) {
  const list = records.filter((r) => r.path === channelPath && r.sig_ok).sort((a, b) => a.at_ms - b.at_ms);
  for (let i = 0; i + 1 < list.length; i++) {
    const r = list[i], next = list[i + 1];
    const failed = r.answer < 200 || r.answer > 299;
    if (!failed && !r.late) continue;
    if (journaledKeys.has(r.key) || journaledKeys.has(next.key)) continue;  // two senders
    retriesChecked++;
    // The same key again; unless the failed row was collapsed into its resolved (then the
    // channel's next row in order, which the sequence comparison checks), still after the wait.
    if (next.key !== r.key && !collapsedInto.has(r.key)) problem(`${channelPath}: after ${r.key} was answered ${r.answer}${r.late ? ' late' : ''}, the next request was ${next.key}, not the same key again`);
    if (failed) {
      const wait = r.retry_after !== undefined ? r.retry_after * 1000 : BACKOFF_MS;
      if (next.at_ms - r.at_ms < wait - CLOCK_SLACK_MS) problem(`${channelPath}: ${r.key} retried ${next.at_ms - r.at_ms} ms after a ${r.answer}, sooner than ${wait} ms`);
    }
  }
}
const expectedPerChannel = perChannel(expected);
const processedPerChannel = perChannel(processed);
for (const [channel, want] of expectedPerChannel) {
  const market = (processedPerChannel.get(channel) || []).filter((p) => !p.pipeline && sentAlone(p.key));
  compareSequences('receiver', channel, market.map((p) => p.key),
    want.filter((e) => sentAlone(e.key)).map((e) => e.key));
}
const maxDuplicates = Number(args['max-duplicates'] ?? 0);
// Each slow answer makes one repeat (coinlake timed out and sends the key again); each kill of
// coinlake or of the receiver may make one (a 2xx that was not marked, or not heard).
if (duplicates > maxDuplicates + late) {
  problem(`${duplicates} keys processed again (at most ${late} slow answers + ${maxDuplicates} kills allowed)`);
}

// --- alert_outbox: the history the alerts page shows. ---
// Pipeline notifications (rules about run itself: the defaults, on once a channel is set, see
// the outages the soak makes) depend on timing, not on the snapshots: the market ones are
// recomputed, and every one, market or pipeline, must be in alert_outbox and received once, in
// the outbox's order per channel.
const outboxPerChannel = perChannel(outbox);
for (const [channel, want] of expectedPerChannel) {
  const market = (outboxPerChannel.get(channel) || []).filter((o) => !o.pipeline);
  compareSequences('alert_outbox', channel, market.map((o) => o.key), want.map((e) => e.key));
}
for (const [channel, rows] of outboxPerChannel) {
  const received = (processedPerChannel.get(channel) || []).filter((p) => sentAlone(p.key));
  compareSequences('receiver against alert_outbox', channel,
    received.filter((p) => !journaledKeys.has(p.key)).map((p) => p.key),
    rows.filter((o) => o.collapsedInto === null && !o.journaled).map((o) => o.key));
  for (const row of rows.filter((o) => o.journaled && o.collapsedInto === null)) {
    if (!received.some((p) => p.key === row.key)) problem(`${row.key}: in alert_outbox, never received on ${channel}`);
  }
}
const pipelineRules = {};
for (const row of outbox) {
  const rule = row.key.split('/')[0];
  if (row.pipeline) pipelineRules[rule] = (pipelineRules[rule] || 0) + 1;
}
for (const row of outbox) {
  if (!row.delivered) problem(`alert_outbox ${row.id} (${row.key}) not delivered`);
  const body = firstBody.get(row.key);
  if (body && !body.equals(row.payload)) problem(`alert_outbox ${row.id} (${row.key}): payload differs from the body received`);
}

// --- The alerts page: what the dashboard shows is the same history. ---
let pageItems = null;
if (args.api) {
  pageItems = [];
  let before = null;
  do {
    const url = `${args.api}/api/v1/alerts?limit=500${before === null ? '' : `&before=${before}`}`;
    const res = await fetch(url);
    if (!res.ok) { problem(`GET ${url}: HTTP ${res.status}`); break; }
    const history = (await res.json()).history;
    pageItems.push(...history.items);
    before = history.next_before;
  } while (before !== null);
  const newestFirst = [...outbox].sort((a, b) => b.id - a.id);
  if (pageItems.length !== newestFirst.length) {
    problem(`the alerts page lists ${pageItems.length} notifications, alert_outbox holds ${newestFirst.length}`);
  }
  newestFirst.forEach((o, i) => {
    const shown = pageItems[i];
    const [rule, subject, event] = o.key.split('/');
    const same = shown && shown.id === o.id && shown.channel === o.channel && shown.rule === rule &&
      shown.subject === subject && shown.event === event && (shown.delivered_at !== null) === o.delivered &&
      (shown.collapsed_into ?? null) === o.collapsedInto;
    if (!same) problem(`the alerts page's item ${i} (${JSON.stringify(shown)}) is not alert_outbox ${o.id} (${o.key})`);
  });
}

const minNotifications = Number(args['min-notifications'] || 0);
if (expected.length < minNotifications) {
  problem(`only ${expected.length} notifications expected over the soak (want >= ${minNotifications}): the rules' levels are not inside the price paths`);
}
const minQuiet = Number(args['min-cooldown-quiet'] || 0);
if (cooldownQuiet < minQuiet) {
  problem(`a rule held while cooling down only ${cooldownQuiet} times (want >= ${minQuiet}): the cooldown was not exercised`);
}
const summary = {
  snapshots: ledger.length, evaluated, stale_skipped: stale, expected: expected.length,
  firing: expected.filter((e) => e.event === 'firing').length,
  resolved: expected.filter((e) => e.event === 'resolved').length,
  quiet_cooling_down: cooldownQuiet,
  per_channel: Object.fromEntries([...expectedPerChannel].map(([c, l]) => [c, l.length])),
  received: records.length, answers, late_answers: late, retries_checked: retriesChecked,
  duplicates, bad_signatures: badSignatures,
  outbox: outbox.length, collapsed: collapsedInto.size, pipeline_notifications: pipelineRules,
  alerts_page: pageItems === null ? 'not read' : pageItems.length,
};
if (args['summary-out']) fs.writeFileSync(args['summary-out'], JSON.stringify(summary));
if (problems.length > 0) {
  for (const p of problems) console.error(`alerts: ${p}`);
  console.error(`alerts summary: ${JSON.stringify(summary)}`);
  process.exit(1);
}
console.log(`alerts: ${JSON.stringify(summary)}`);
