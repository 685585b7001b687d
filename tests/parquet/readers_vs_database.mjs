// Three independent Parquet readers (DuckDB, the Rust reference implementation compiled to
// WebAssembly by parquet-wasm, and hyparquet) read every Parquet file `coinlake compact` wrote
// into a lake, and each must agree with PostgreSQL on every row, value, type and null:
//   quotes: the files' rows, one per distinct (cmc_id, quote_currency, ts) keeping the earliest
//     snapshot (the database stores a quote once, from the first snapshot that carried it),
//     equal column by column to the database's quotes table;
//   global_metrics: the files' rows equal to the database's global_metrics table.
// Also the files' own column statistics (min, max, null count) must match their values.
// Usage: node readers_vs_database.mjs LAKE_DIR DATABASE_URL   (prints a summary; exit 1 on any difference)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readers } from './read_parquet.mjs';

const [lake, databaseUrl] = process.argv.slice(2);
if (!lake || !databaseUrl) {
  console.error('usage: node readers_vs_database.mjs LAKE_DIR DATABASE_URL');
  process.exit(2);
}
const problems = [];
const problem = (m) => { if (problems.length < 50) problems.push(m); };

function filesOf(table) {
  const root = path.join(lake, 'curated', table);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).filter((d) => d.startsWith('dt=')).sort().flatMap((d) =>
    fs.readdirSync(path.join(root, d)).filter((f) => f.endsWith('.parquet')).map((f) => path.join(root, d, f)));
}

function psqlJson(sql) {
  const out = execFileSync('psql', ['-qtA', '-v', 'ON_ERROR_STOP=1', databaseUrl, '-c', sql],
                           { encoding: 'utf8', maxBuffer: 1 << 30 });
  return JSON.parse(out.trim() || '[]');
}

// Canonical text, as read_parquet.mjs gives values: numbers of the database go through
// JavaScript's Number so that both sides print the shortest round-trip form.
const micros = (col) => `(extract(epoch FROM ${col}) * 1000000)::bigint::text`;
const TABLES = {
  quotes: {
    // A quote names its lake object by the ledger's id: the key the Parquet row carries is the
    // ledger's.
    source: `(SELECT q.*, l.key AS lake_key FROM quotes q
              LEFT JOIN lake_objects l ON l.id = q.lake_object_id) quotes`,
    identity: ['cmc_id', 'quote_currency', 'ts'],
    text: ['cmc_id', 'quote_currency', 'cmc_rank', 'num_market_pairs', 'lake_key'],
    times: ['ts', 'snapshot_ts'],
    doubles: ['price', 'volume_24h', 'volume_change_24h', 'market_cap', 'market_cap_dominance',
              'fully_diluted_market_cap', 'percent_change_1h', 'percent_change_24h',
              'percent_change_7d', 'percent_change_30d', 'percent_change_60d',
              'percent_change_90d', 'circulating_supply', 'total_supply', 'max_supply'],
  },
  global_metrics: {
    identity: ['ts', 'quote_currency'],
    text: ['quote_currency', 'active_cryptocurrencies', 'active_exchanges',
           'active_market_pairs', 'lake_key'],
    times: ['ts'],
    doubles: ['total_market_cap', 'total_volume_24h', 'btc_dominance', 'eth_dominance',
              'defi_market_cap', 'stablecoin_market_cap'],
  },
};

const canonDouble = (v) => (v === null ? null : Object.is(Number(v), -0) ? '-0' : String(Number(v)));

function databaseRows(table, t) {
  const fields = [...t.text.map((c) => `'${c}', ${c}::text`),
                  ...t.times.map((c) => `'${c}', ${micros(c)}`),
                  ...t.doubles.map((c) => `'${c}', ${c}::text`)];
  const rows = psqlJson(`SELECT coalesce(json_agg(json_build_object(${fields.join(', ')})), '[]')
                         FROM ${t.source ?? table}`);
  for (const r of rows) for (const c of t.doubles) r[c] = canonDouble(r[c]);
  return rows;
}

const columnsOf = (t) => [...t.text, ...t.times, ...t.doubles];
const key = (t, r) => t.identity.map((c) => r[c]).join('|');

let checked = 0;
for (const [table, t] of Object.entries(TABLES)) {
  const files = filesOf(table);
  const want = new Map(databaseRows(table, t).map((r) => [key(t, r), r]));
  for (const read of readers) {
    // Per identity, the row of the earliest snapshot (files are in day order, rows in
    // (coin, currency, snapshot) order within a day; the database keeps the first snapshot).
    const got = new Map();
    let rows = 0;
    let reader = read.name;
    for (const file of files) {
      let seen;
      try {
        seen = await read(file);
      } catch (e) {
        problem(`${reader} ${file}: read failed: ${e.stack ?? e}`);
        continue;
      }
      reader = seen.reader;
      for (let i = 0; i < seen.num_rows; ++i) {
        const r = { snapshot_ts: seen.columns.snapshot_ts[i] };
        for (const c of columnsOf(t)) r[c] = seen.columns[c][i];
        const k = key(t, r);
        const earlier = got.get(k);
        if (!earlier || BigInt(r.snapshot_ts) < BigInt(earlier.snapshot_ts)) {
          r.lake_keys = new Set([r.lake_key]);
          got.set(k, r);
        } else if (r.snapshot_ts === earlier.snapshot_ts) {
          // Two objects with the quote at one time (a backfill's 1-point probe and its window):
          // the database keeps the one it loaded first, which may be either.
          earlier.lake_keys.add(r.lake_key);
        }
        ++rows;
      }
    }
    if (got.size !== want.size) problem(`${reader} ${table}: ${got.size} distinct rows, the database ${want.size}`);
    let differ = 0;
    for (const [k, w] of want) {
      const g = got.get(k);
      if (!g) { if (++differ <= 3) problem(`${reader} ${table}: ${k} is in the database, not in the Parquet files`); continue; }
      for (const c of columnsOf(t)) {
        // History's rows carry the point's time in the files, the fetch's in the database.
        if (c === 'snapshot_ts' && /_historical\//.test(w.lake_key)) continue;
        if (c === 'lake_key' && g.lake_keys.has(w.lake_key)) continue;
        if (g[c] !== w[c] && ++differ <= 3) problem(`${reader} ${table} ${k}.${c}: Parquet ${g[c]}, database ${w[c]}`);
      }
    }
    if (differ > 3) problem(`${reader} ${table}: ${differ} differences in all`);
    console.log(`${reader}: ${table}: ${files.length} files, ${rows} rows, ${got.size} distinct; database ${want.size}`);
    checked += got.size;
  }
}
if (problems.length) {
  console.log(`FAIL\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
if (checked === 0) {
  console.log('FAIL: no rows compared');
  process.exit(1);
}
console.log('PASS: DuckDB, parquet-wasm and hyparquet read exactly the database\'s rows');
