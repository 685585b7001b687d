// The crash tests' judge: after recovery, compares what the simulator served, what the lake
// holds, what the ledger says was loaded and what the quotes table holds. Independent of
// coinlake's code: it reads the lake's files itself (a file lake, or the fake S3's folder) and the
// database through psql dumps the driver makes.
//
//   node verify.mjs --served served.json --lake DIR
//        --ledger ledger.tsv --quotes quotes.tsv --spool DIR [--in-flight FILE]
//        [--endpoints listings_latest,...]
//
// served.json: GET /__sim/served. ledger.tsv: key, sha256, rows (lake_objects). quotes.tsv:
// lake object key, count (quotes grouped by their lake object). in-flight: served indices (0-based) that may be
// missing because the process was killed while that answer was on the wire, before it could be
// spooled (one per kill at most; the driver computes them).
// Prints one summary line; exits 1 with every violation named.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const required of ['served', 'lake', 'ledger', 'quotes', 'spool']) {
  if (!args[required]) { console.error(`verify.mjs: --${required} is required`); process.exit(2); }
}
const endpoints = new Set((args.endpoints || 'listings_latest').split(','));
const ENDPOINT_OF_PATH = {
  '/v1/cryptocurrency/listings/latest': 'listings_latest',
  '/v2/cryptocurrency/quotes/latest': 'quotes_latest',
  '/v1/global-metrics/quotes/latest': 'global_metrics_latest',
  '/v1/key/info': 'key_info',
  '/v1/cryptocurrency/map': 'map',
};
const QUOTE_ENDPOINTS = new Set(['listings_latest', 'quotes_latest']);

const problems = [];
const problem = (msg) => { if (problems.length < 50) problems.push(msg); else if (problems.length === 50) problems.push('...'); };
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

function walk(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out); else out.push(p);
  }
  return out;
}
// Lake objects: key -> absolute file path.
const objects = new Map();
for (const file of walk(args.lake)) {
  const key = path.relative(args.lake, file).split(path.sep).join('/');
  if (/(^|\/)\.tmp|\.tmp\.|~$/.test(key)) continue;  // a file lake's in-progress temporaries
  objects.set(key, file);
}
const rawBodyRe = /^raw\/cmc\/([a-z_]+)\/dt=\d{4}-\d{2}-\d{2}\/[a-z_]+_\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.json\.gz$/;

// Served answers by body hash.
const served = JSON.parse(fs.readFileSync(args.served, 'utf8'));
const inFlight = new Set(args['in-flight'] && fs.existsSync(args['in-flight'])
  ? fs.readFileSync(args['in-flight'], 'utf8').split(/\s+/).filter(Boolean).map(Number) : []);
const servedBySha = new Map();
served.forEach((s, i) => {
  const endpoint = ENDPOINT_OF_PATH[s.endpoint];
  if (!endpoints.has(endpoint)) return;
  if (servedBySha.has(s.sha256)) problem(`the simulator served the same body twice (#${servedBySha.get(s.sha256).index} and #${i}): the test cannot tell them apart`);
  servedBySha.set(s.sha256, { index: i, endpoint, timestamp: s.timestamp });
});

// The ledger (lake_objects): key -> stored sha256, rows.
const ledger = new Map();
for (const line of fs.readFileSync(args.ledger, 'utf8').split('\n').filter(Boolean)) {
  const [key, sha, rows] = line.split('\t');
  if (ledger.has(key)) problem(`ledger row for ${key} appears twice`);
  ledger.set(key, { sha, rows: Number(rows) });
}

// Raw bodies in the lake, by the hash of the body as received.
const lakeBySha = new Map();  // sha -> [keys]
const rawKeys = new Map();    // key -> {sha_stored, body_sha, endpoint}
let quarantined = 0, curated = 0;
for (const [key, file] of objects) {
  if (key.startsWith('quarantine/') && key.endsWith('.json.gz')) {
    // Error answers, unreadable bodies, and a second answer within an already stored data second
    // (raw/ keys have one-second resolution): kept byte for byte, never loaded.
    quarantined += 1;
    try {
      const bodySha = sha256(zlib.gunzipSync(fs.readFileSync(file)));
      if (!lakeBySha.has(bodySha)) lakeBySha.set(bodySha, []);
      lakeBySha.get(bodySha).push(key);
    } catch (e) { problem(`${key}: not gzip (${e.message})`); }
    if (ledger.has(key)) problem(`${key} is quarantined but was loaded`);
    continue;
  }
  if (key.startsWith('curated/')) { curated += 1; continue; }
  const m = rawBodyRe.exec(key);
  if (!m) continue;
  const stored = fs.readFileSync(file);
  let body;
  try { body = zlib.gunzipSync(stored); } catch (e) { problem(`${key}: not gzip (${e.message})`); continue; }
  const bodySha = sha256(body);
  rawKeys.set(key, { stored: sha256(stored), body: bodySha, endpoint: m[1] });
  if (!lakeBySha.has(bodySha)) lakeBySha.set(bodySha, []);
  lakeBySha.get(bodySha).push(key);
  const metaKey = key.replace(/\.json\.gz$/, '.meta.json');
  if (!objects.has(metaKey)) problem(`${key}: its ${metaKey} is missing`);
  else {
    const meta = JSON.parse(fs.readFileSync(objects.get(metaKey), 'utf8'));
    if (meta.body_sha256 !== bodySha) problem(`${metaKey}: body_sha256 ${meta.body_sha256} but the body hashes to ${bodySha}`);
  }
}

// 1. Every served answer is in the lake exactly once (in-flight answers at a kill: at most once).
let missing = 0, duplicates = 0, lostInFlight = 0;
for (const [sha, s] of servedBySha) {
  const keys = lakeBySha.get(sha) || [];
  if (keys.length > 1) { duplicates += 1; problem(`served answer #${s.index} (${s.timestamp}) is in the lake ${keys.length} times: ${keys.join(', ')}`); }
  if (keys.length === 0) {
    if (inFlight.has(s.index)) lostInFlight += 1;
    else { missing += 1; problem(`served answer #${s.index} (${s.endpoint} at ${s.timestamp}, sha256 ${sha.slice(0, 12)}) is not in the lake`); }
  }
}
// 2. Nothing in raw/ that the simulator did not serve.
for (const [key, o] of rawKeys) {
  if (endpoints.has(o.endpoint) && !servedBySha.has(o.body)) problem(`lake object ${key} matches no served answer`);
}

// 3. Every raw object of a loaded endpoint is in the ledger once, with its bytes' hash; no ledger
//    row without its object.
let loaded = 0, notLoaded = 0;
for (const [key, o] of rawKeys) {
  if (!QUOTE_ENDPOINTS.has(o.endpoint) && !ledger.has(key)) continue;  // not every endpoint loads
  const l = ledger.get(key);
  if (!l) { notLoaded += 1; problem(`${key} is in the lake but not loaded (no ledger row)`); continue; }
  loaded += 1;
  if (l.sha !== o.stored && l.sha !== o.body) problem(`${key}: ledger sha256 ${l.sha} matches neither the object nor its body`);
}
for (const key of ledger.keys()) if (!rawKeys.has(key)) problem(`ledger row ${key} has no object in the lake`);

// 4. The quotes table holds exactly the rows the ledger counted for each object.
const quoteCounts = new Map();
for (const line of fs.readFileSync(args.quotes, 'utf8').split('\n').filter(Boolean)) {
  const [key, count] = line.split('\t');
  quoteCounts.set(key, Number(count));
}
let rows = 0;
for (const [key, l] of ledger) {
  if (!QUOTE_ENDPOINTS.has((rawKeys.get(key) || {}).endpoint)) continue;
  const n = quoteCounts.get(key) || 0;
  rows += n;
  if (n !== l.rows) problem(`${key}: ledger says ${l.rows} rows, quotes has ${n}`);
}
for (const key of quoteCounts.keys()) if (!ledger.has(key)) problem(`quotes rows from ${key}, which has no ledger row`);

// 5. The spool is drained.
const spoolLeft = walk(args.spool).filter((f) => /\.(json\.gz|meta\.json)$/.test(f));
if (spoolLeft.length) problem(`the spool still holds ${spoolLeft.length} file(s), e.g. ${spoolLeft[0]}`);

const summary = { served: servedBySha.size, lake_raw: rawKeys.size, loaded, rows, quarantined, curated,
  lost_in_flight_at_kill: lostInFlight, in_flight_allowed: inFlight.size, missing, duplicates, not_loaded: notLoaded };
console.log(`verify: ${JSON.stringify(summary)}`);
if (args['summary-out']) fs.writeFileSync(args['summary-out'], JSON.stringify(summary) + '\n');
if (problems.length) {
  console.error(`FAIL: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
