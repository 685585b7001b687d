// DuckDB's side of the compaction benchmark (bench/compact_bench.sh). It uses the DuckDB that
// tests/analytics installs (npm ci there; @duckdb/node-api from its package-lock.json).
//
//   node compact_duckdb.mjs convert LAKE_DIR OUT_DIR DAY...
//     DuckDB's own conversion of the lake's raw objects to Parquet, as `coinlake compact` does
//     it: for each day, read_json over the day's gzip'd listings responses, unnest `data`, the
//     quotes columns of the curated contract with the same types (timestamps TIMESTAMPTZ, that
//     is Parquet TIMESTAMP(MICROS, UTC); ids BIGINT; amounts DOUBLE; strings VARCHAR), ORDER BY
//     cmc_id, quote_currency, snapshot_ts, COPY TO one Parquet file (ZSTD) per day under
//     OUT_DIR/quotes/dt=DAY/; the same for the day's global metrics responses under
//     OUT_DIR/global_metrics/dt=DAY/ (sorted by quote_currency, ts). The JSON schema is given (columns=...), so DuckDB does not
//     sample the files to infer it: its fastest way.
//
//   node compact_duckdb.mjs query GLOB_A GLOB_B DAY ROUNDS COIN
//     The benchmark's queries over two sets of quotes Parquet files (hive partitioning on dt),
//     ROUNDS times each, alternating A and B (A first, then B first); prints one JSON line per query with the median
//     milliseconds of each and whether both gave the same answer.
//
//   node compact_duckdb.mjs layout GLOB
//     Files, row groups, the largest row group and the codecs of a set of Parquet files.
//   node compact_duckdb.mjs diff GLOB_A GLOB_B
//     {"only_a": n, "only_b": n}: rows (all columns, as multisets) in one set and not the other.
//   node compact_duckdb.mjs checksum GLOB
//     {"n": rows, "hash_sum": the sum of the rows' hashes}: equal for the same multiset of rows.
//   node compact_duckdb.mjs count GLOB
//     The number of rows in a set of Parquet files.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/analytics/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const [mode, ...args] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:');
const db = await instance.connect();
await db.run("SET TimeZone = 'UTC'");
const rows = async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJS();
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

const QUOTE_FIELDS = ['price', 'volume_24h', 'volume_change_24h', 'market_cap',
  'market_cap_dominance', 'fully_diluted_market_cap', 'percent_change_1h', 'percent_change_24h',
  'percent_change_7d', 'percent_change_30d', 'percent_change_60d', 'percent_change_90d'];
const LISTINGS_SCHEMA = `{
  status: 'STRUCT("timestamp" TIMESTAMPTZ)',
  data: 'STRUCT(id BIGINT, "name" VARCHAR, symbol VARCHAR, slug VARCHAR, cmc_rank BIGINT,
    num_market_pairs BIGINT, circulating_supply DOUBLE, total_supply DOUBLE, max_supply DOUBLE,
    date_added TIMESTAMPTZ, quote STRUCT(USD STRUCT(${QUOTE_FIELDS.map((f) => `${f} DOUBLE`)
      .join(', ')}, last_updated TIMESTAMPTZ)))[]'}`;
const GLOBAL_SCHEMA = `{
  status: 'STRUCT("timestamp" TIMESTAMPTZ)',
  data: 'STRUCT(btc_dominance DOUBLE, eth_dominance DOUBLE, active_cryptocurrencies BIGINT,
    active_exchanges BIGINT, active_market_pairs BIGINT, quote STRUCT(USD STRUCT(
    total_market_cap DOUBLE, total_volume_24h DOUBLE, defi_market_cap DOUBLE,
    stablecoin_market_cap DOUBLE, last_updated TIMESTAMPTZ)))'}`;

async function convert(lake, out, days) {
  const strip = lake.length + 2; // lake_key: the object's key, relative to the lake
  for (const day of days) {
    const src = (ep) => quote(`${lake}/raw/cmc/${ep}/dt=${day}/${ep}_*.json.gz`);
    mkdirSync(`${out}/quotes/dt=${day}`, { recursive: true });
    mkdirSync(`${out}/global_metrics/dt=${day}`, { recursive: true });
    await db.run(`
      COPY (
        SELECT status."timestamp" AS snapshot_ts, c.id AS cmc_id, c.symbol, c."name", c.slug,
               'USD' AS quote_currency, c.quote.USD.last_updated AS ts, c.cmc_rank,
               c.num_market_pairs,
               ${QUOTE_FIELDS.map((f) => `c.quote.USD.${f}`).join(', ')},
               c.circulating_supply, c.total_supply, c.max_supply, c.date_added,
               substr(filename, ${strip}) AS lake_key
        FROM (SELECT status, filename, unnest(data) AS c
              FROM read_json(${src('listings_latest')}, columns = ${LISTINGS_SCHEMA},
                             format = 'auto', filename = true,
                             maximum_object_size = 268435456))
        ORDER BY cmc_id, quote_currency, snapshot_ts)
      TO ${quote(`${out}/quotes/dt=${day}/quotes_${day}.parquet`)}
      (FORMAT parquet, COMPRESSION zstd)`);
    await db.run(`
      COPY (
        SELECT status."timestamp" AS snapshot_ts, data.quote.USD.last_updated AS ts,
               'USD' AS quote_currency, data.quote.USD.total_market_cap,
               data.quote.USD.total_volume_24h, data.btc_dominance, data.eth_dominance,
               data.active_cryptocurrencies, data.active_exchanges, data.active_market_pairs,
               data.quote.USD.defi_market_cap, data.quote.USD.stablecoin_market_cap,
               substr(filename, ${strip}) AS lake_key
        FROM read_json(${src('global_metrics_latest')}, columns = ${GLOBAL_SCHEMA},
                       format = 'auto', filename = true)
        ORDER BY quote_currency, ts, snapshot_ts)
      TO ${quote(`${out}/global_metrics/dt=${day}/global_metrics_${day}.parquet`)}
      (FORMAT parquet, COMPRESSION zstd)`);
  }
}

async function query(globA, globB, day, rounds, coin) {
  const src = (glob) => `read_parquet(${quote(glob)}, hive_partitioning = true)`;
  const queries = {
    // One coin (COIN) over the whole lake: row group statistics on cmc_id decide how much is read.
    coin_min_max_count: (s) => `SELECT min(price) AS lo, max(price) AS hi, count(*) AS n
      FROM ${s} WHERE cmc_id = ${coin}`,
    // The day's top movers: percent change of price from the first to the last quote.
    day_top_movers: (s) => `SELECT cmc_id, (last - first) / first * 100 AS pct FROM (
        SELECT cmc_id, arg_min(price, ts) AS first, arg_max(price, ts) AS last
        FROM ${s} WHERE dt = DATE '${day}' GROUP BY cmc_id)
      ORDER BY pct DESC, cmc_id LIMIT 10`,
    // Daily OHLC of one coin over the week.
    coin_daily_ohlc: (s) => `SELECT CAST(ts AS DATE) AS day, arg_min(price, ts) AS open,
        max(price) AS high, min(price) AS low, arg_max(price, ts) AS close, count(*) AS n
      FROM ${s} WHERE cmc_id = 1 GROUP BY 1 ORDER BY 1`,
    // A whole-lake scan, for reference: every row, two columns (max, not sum: a float sum's
    // order differs between runs, its last bits with it).
    full_scan: (s) => `SELECT count(*) AS n, count(DISTINCT cmc_id) AS coins,
        max(volume_24h) AS v FROM ${s}`,
  };
  const ms = async (sql) => {
    const t0 = process.hrtime.bigint();
    const r = await rows(sql);
    return [Number(process.hrtime.bigint() - t0) / 1e6, r];
  };
  const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  for (const [name, q] of Object.entries(queries)) {
    const a = [], b = [];
    let ra, rb;
    await ms(q(src(globA))); // warm the page cache for both, untimed
    await ms(q(src(globB)));
    for (let i = 0; i < rounds; i++) { // A then B, then B then A: no side always goes first
      let t;
      if (i % 2 === 0) {
        [t, ra] = await ms(q(src(globA))); a.push(t);
        [t, rb] = await ms(q(src(globB))); b.push(t);
      } else {
        [t, rb] = await ms(q(src(globB))); b.push(t);
        [t, ra] = await ms(q(src(globA))); a.push(t);
      }
    }
    const same = JSON.stringify(ra, (k, v) => (typeof v === 'bigint' ? String(v) : v)) ===
      JSON.stringify(rb, (k, v) => (typeof v === 'bigint' ? String(v) : v));
    console.log(JSON.stringify({ query: name, a_ms: median(a), b_ms: median(b), same }));
  }
}

// The layout of a set of Parquet files: files, row groups, rows, bytes.
async function layout(glob) {
  const [r] = await rows(`SELECT count(DISTINCT file_name)::BIGINT AS files,
      count(DISTINCT (file_name, row_group_id))::BIGINT AS row_groups,
      max(row_group_num_rows)::BIGINT AS max_rows_per_group,
      list(DISTINCT compression) AS codecs
    FROM parquet_metadata(${quote(glob)})`);
  console.log(JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

// Rows of one set of Parquet files missing from the other, both ways (column by column, in
// order: the two must have the contract's column order; incompatible types are an error).
async function diff(globA, globB) {
  const [r] = await rows(`SELECT
      (SELECT count(*) FROM (FROM read_parquet(${quote(globA)}) EXCEPT ALL
                             FROM read_parquet(${quote(globB)})))::BIGINT AS only_a,
      (SELECT count(*) FROM (FROM read_parquet(${quote(globB)}) EXCEPT ALL
                             FROM read_parquet(${quote(globA)})))::BIGINT AS only_b`);
  console.log(JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

// An order-free checksum of a set of Parquet files: the row count and the sum of every row's
// hash (the row as one struct, by column order; streaming, so cheap at any size).
async function checksum(glob) {
  const [r] = await rows(`SELECT count(*)::BIGINT AS n, sum(hash(t))::VARCHAR AS hash_sum
    FROM read_parquet(${quote(glob)}) t`);
  console.log(JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

if (mode === 'layout' && args.length === 1) await layout(args[0]);
else if (mode === 'checksum' && args.length === 1) await checksum(args[0]);
else if (mode === 'diff' && args.length === 2) await diff(args[0], args[1]);
else if (mode === 'count' && args.length === 1) {
  const [r] = await rows(`SELECT count(*)::BIGINT AS n FROM read_parquet(${quote(args[0])})`);
  console.log(String(r.n));
}
else if (mode === 'convert' && args.length >= 3) await convert(args[0], args[1], args.slice(2));
else if (mode === 'query' && args.length === 5) {
  await query(args[0], args[1], args[2], Number(args[3]), Number(args[4]));
}
else {
  console.error('usage: compact_duckdb.mjs convert LAKE OUT DAY... | query GLOB_A GLOB_B DAY ROUNDS COIN | layout GLOB | diff GLOB_A GLOB_B | checksum GLOB | count GLOB');
  process.exit(2);
}
