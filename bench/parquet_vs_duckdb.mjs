// Size and time of DuckDB's own Parquet writer on the rows parquet_bench wrote as JSON lines,
// beside coinlake's file of the same rows:
//   build/ci/bench/parquet_bench 1000000 OUT/coinlake.parquet OUT/rows.ndjson
//   node bench/parquet_vs_duckdb.mjs OUT        (needs npm ci in tests/parquet)
// Prints DuckDB's JSON -> Parquet time, its table -> Parquet time, both files' sizes, and checks
// that DuckDB reads the same values from both files (a sum of row hashes).
import { statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { DuckDBInstance } = await import(join(here, '../tests/parquet/node_modules/@duckdb/node-api/lib/index.js'));
const dir = process.argv[2];
const con = await (await DuckDBInstance.create(':memory:')).connect();
const run = async (sql) => (await con.runAndReadAll(sql)).getRowObjects();
const timed = async (sql) => {
  const t = performance.now();
  await run(sql);
  return (performance.now() - t) / 1000;
};

const columns = `{snapshot_ts: 'BIGINT', cmc_id: 'BIGINT', symbol: 'VARCHAR', name: 'VARCHAR',
  slug: 'VARCHAR', quote_currency: 'VARCHAR', cmc_rank: 'BIGINT', price: 'DOUBLE',
  volume_24h: 'DOUBLE', market_cap: 'DOUBLE', percent_change_1h: 'DOUBLE',
  percent_change_24h: 'DOUBLE', percent_change_7d: 'DOUBLE', circulating_supply: 'DOUBLE',
  max_supply: 'DOUBLE', last_updated: 'BIGINT'}`;
const select = `SELECT make_timestamp(snapshot_ts)::TIMESTAMPTZ AS snapshot_ts, cmc_id, symbol, name, slug,
  quote_currency, cmc_rank, price, volume_24h, market_cap, percent_change_1h, percent_change_24h,
  percent_change_7d, circulating_supply, max_supply, make_timestamp(last_updated)::TIMESTAMPTZ AS last_updated
  FROM read_json('${join(dir, 'rows.ndjson')}', format='newline_delimited', columns=${columns})`;
const threads = (await run(`SELECT current_setting('threads')::VARCHAR AS t`))[0].t;
const json_s = await timed(`COPY (${select}) TO '${join(dir, 'duckdb_from_json.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
await run(`CREATE TABLE t AS ${select}`);
const table_s = await timed(`COPY t TO '${join(dir, 'duckdb_from_table.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
const rows = Number((await run(`SELECT count(*) AS n FROM t`))[0].n);
const agg = async (f) => JSON.stringify((await run(`SELECT count(*) AS n, sum(hash(COLUMNS(*)))::VARCHAR AS h FROM read_parquet('${f}')`))[0],
  (k, v) => (typeof v === 'bigint' ? v.toString() : v));
const ours = join(dir, 'coinlake.parquet');
const same = (await agg(ours)) === (await agg(join(dir, 'duckdb_from_table.parquet')));
console.log(JSON.stringify({
  rows, duckdb_threads: threads,
  duckdb_json_to_parquet_seconds: +json_s.toFixed(3), duckdb_json_rows_per_second: Math.round(rows / json_s),
  duckdb_table_to_parquet_seconds: +table_s.toFixed(3), duckdb_table_rows_per_second: Math.round(rows / table_s),
  duckdb_bytes: statSync(join(dir, 'duckdb_from_table.parquet')).size,
  coinlake_bytes: statSync(ours).size,
  same_values: same,
}, null, 1));
