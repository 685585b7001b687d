// Asks the same analytical questions of the compacted lake (DuckDB over the Parquet files of
// `coinlake compact`, hive partitioning on dt) and of the database (psql), and requires equal
// answers. Run by engines_check.sh (ctest analytics_engines); prints one line per check and
// exits 1 on the first difference.
//
// The Parquet files hold one row per coin per snapshot; the database's quotes table one row per
// distinct (cmc_id, quote_currency, ts), the quote's identity (docs/database.md). A quote's
// price, volume_24h, market_cap and percent_change_* are fixed by its identity (a repeated
// snapshot repeats the same quote), so DuckDB first reduces the files to one row per identity
// and checks that no identity carries two different values.
//
// Numbers travel as text from psql (float8 prints the shortest text that reads back as the
// same double) and as doubles from DuckDB; both become JS doubles and are compared with ===,
// except where an engine sums floats (noted at the check).
//
// Usage: node engines_check.mjs LAKE_DIR DATABASE_URL DAY   (DAY: the day of the movers)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';

const [lake, dbUrl, day] = process.argv.slice(2);
if (!day) {
  console.error('usage: node engines_check.mjs LAKE_DIR DATABASE_URL DAY');
  process.exit(2);
}
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };

const duck = await (await DuckDBInstance.create(':memory:')).connect();
await duck.run("SET TimeZone = 'UTC'");
// DuckDB rows as arrays of JS values (BIGINT as Number: ids, counts and epoch microseconds here
// are far below 2^53; dates as 'YYYY-MM-DD').
async function duckRows(sql) {
  const reader = await duck.runAndReadAll(sql);
  return reader.getRowsJS().map((r) => r.map((v) => {
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof Date) return v.toISOString().slice(0, 10);
    return v;
  }));
}
// psql rows as arrays: numbers as JS doubles, NULL (empty with -A) as null, dates as text.
function pgRows(sql, kinds) {
  const out = execFileSync('psql', ['-qAtX', '-v', 'ON_ERROR_STOP=1', '-F', '\t', dbUrl, '-c', sql],
    { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t').map((v, i) =>
    (v === '' ? null : kinds[i] === 'n' ? Number(v) : v)));
}

const parquet = (table) =>
  `read_parquet('${lake}/curated/${table}/*/*.parquet', hive_partitioning = true)`;
// One row per quote identity, as the database keeps it.
await duck.run(`CREATE VIEW q AS
  SELECT cmc_id, quote_currency, ts, any_value(price) AS price, any_value(volume_24h) AS volume_24h,
         any_value(market_cap) AS market_cap, any_value(percent_change_1h) AS percent_change_1h,
         any_value(percent_change_24h) AS percent_change_24h,
         any_value(percent_change_7d) AS percent_change_7d,
         count(DISTINCT (price, volume_24h, market_cap, percent_change_1h, percent_change_24h,
                         percent_change_7d)) AS variants
  FROM ${parquet('quotes')} GROUP BY cmc_id, quote_currency, ts`);
await duck.run(`CREATE VIEW g AS
  SELECT ts, quote_currency, any_value(total_market_cap) AS total_market_cap,
         any_value(btc_dominance) AS btc_dominance, any_value(eth_dominance) AS eth_dominance,
         count(DISTINCT (total_market_cap, btc_dominance, eth_dominance)) AS variants
  FROM ${parquet('global_metrics')} GROUP BY ts, quote_currency`);

const show = (rows) => rows.slice(0, 3).map((r) => r.join(' ')).join(' | ');
// same(name, duckdb rows, postgres rows, tolerance per column or undefined for exact).
function same(name, d, p, tol = []) {
  if (d.length === 0) fail(`${name}: no rows (the check would prove nothing)`);
  if (d.length !== p.length) fail(`${name}: DuckDB ${d.length} rows, PostgreSQL ${p.length}`);
  for (let i = 0; i < d.length; i++) {
    for (let j = 0; j < d[i].length; j++) {
      const a = d[i][j], b = p[i][j], t = tol[j];
      const ok = t && typeof a === 'number' && typeof b === 'number'
        ? Math.abs(a - b) <= t * Math.max(Math.abs(a), Math.abs(b)) : a === b;
      if (!ok) fail(`${name}: row ${i} column ${j}: DuckDB ${a}, PostgreSQL ${b}\n  DuckDB: ${d[i].join(' ')}\n  PostgreSQL: ${p[i].join(' ')}`);
    }
  }
  console.log(`ok ${name}: ${d.length} rows equal (${show(d)}${d.length > 3 ? ' ...' : ''})`);
}
const digest = (rows) => createHash('sha256').update(rows.map((r) => r.join('\t')).join('\n')).digest('hex');

// 0. The files are one row per quote identity's values: no identity with two different quotes.
const [[clashes]] = await duckRows('SELECT count(*) FROM q WHERE variants > 1');
if (clashes !== 0) fail(`${clashes} quote identities carry different values in the Parquet files`);
const [[gclashes]] = await duckRows('SELECT count(*) FROM g WHERE variants > 1');
if (gclashes !== 0) fail(`${gclashes} global metrics identities carry different values`);

// 1. The rows themselves: DuckDB's distinct identities are the database's rows (count, and a
//    sha256 over every row's identity and the values the identity fixes, sorted).
const QCOLS = 'cmc_id, quote_currency, ts, price, volume_24h, market_cap, percent_change_1h, percent_change_24h, percent_change_7d';
const dq = await duckRows(`SELECT cmc_id, quote_currency, epoch_us(ts), price, volume_24h, market_cap,
    percent_change_1h, percent_change_24h, percent_change_7d FROM q ORDER BY cmc_id, quote_currency, ts`);
const pq = pgRows(`SELECT cmc_id, quote_currency, (extract(epoch FROM ts) * 1000000)::bigint, price,
    volume_24h, market_cap, percent_change_1h, percent_change_24h, percent_change_7d
  FROM quotes ORDER BY cmc_id, quote_currency, ts`, 'nsnnnnnnn');
if (dq.length !== pq.length) fail(`quotes: DuckDB has ${dq.length} distinct quotes, the database ${pq.length} rows`);
if (digest(dq) !== digest(pq)) same(`quotes rows (${QCOLS})`, dq, pq); // names the first difference
console.log(`ok quotes: ${dq.length} rows, sha256 ${digest(dq).slice(0, 16)} in both`);
const dg = await duckRows(`SELECT epoch_us(ts), quote_currency, total_market_cap, btc_dominance,
    eth_dominance FROM g ORDER BY ts, quote_currency`);
const pg = pgRows(`SELECT (extract(epoch FROM ts) * 1000000)::bigint, quote_currency, total_market_cap,
    btc_dominance, eth_dominance FROM global_metrics ORDER BY ts, quote_currency`, 'nsnnn');
if (dg.length !== pg.length || digest(dg) !== digest(pg)) same('global_metrics rows', dg, pg);
console.log(`ok global_metrics: ${dg.length} rows, sha256 ${digest(dg).slice(0, 16)} in both`);

// 2. A coin's daily OHLC over the range (Bitcoin, cmc_id 1, in USD): open and close are the
//    first and last quotes of the UTC day, high and low its extremes: copies, compared exactly.
same('BTC daily OHLC', await duckRows(`
    SELECT CAST(ts AS DATE), arg_min(price, ts), max(price), min(price), arg_max(price, ts), count(*)
    FROM q WHERE cmc_id = 1 AND quote_currency = 'USD' GROUP BY 1 ORDER BY 1`),
  pgRows(`SELECT (ts AT TIME ZONE 'UTC')::date, (array_agg(price ORDER BY ts))[1], max(price),
      min(price), (array_agg(price ORDER BY ts DESC))[1], count(*)
    FROM quotes WHERE cmc_id = 1 AND quote_currency = 'USD' GROUP BY 1 ORDER BY 1`, 'snnnnn'));

// 3. The day's top 10 movers: percent change of price from the day's first quote to its last.
//    The same IEEE double operations on the same doubles in both engines: compared exactly.
same(`top 10 movers of ${day}`, await duckRows(`
    SELECT cmc_id, (last - first) / first * 100 AS pct FROM (
      SELECT cmc_id, arg_min(price, ts) AS first, arg_max(price, ts) AS last FROM q
      WHERE quote_currency = 'USD' AND CAST(ts AS DATE) = DATE '${day}' GROUP BY cmc_id)
    WHERE first > 0 ORDER BY pct DESC, cmc_id LIMIT 10`),
  pgRows(`SELECT cmc_id, (last - first) / first * 100 AS pct FROM (
      SELECT cmc_id, (array_agg(price ORDER BY ts))[1] AS first,
             (array_agg(price ORDER BY ts DESC))[1] AS last FROM quotes
      WHERE quote_currency = 'USD' AND (ts AT TIME ZONE 'UTC')::date = '${day}' GROUP BY cmc_id) m
    WHERE first > 0 ORDER BY pct DESC, cmc_id LIMIT 10`, 'nn'));

// 4. BTC dominance over time, as CMC's global metrics give it: copies, compared exactly.
same('BTC dominance over time (global metrics)', await duckRows(`
    SELECT epoch_us(ts), btc_dominance FROM g WHERE quote_currency = 'USD' ORDER BY ts`),
  pgRows(`SELECT (extract(epoch FROM ts) * 1000000)::bigint, btc_dominance FROM global_metrics
    WHERE quote_currency = 'USD' ORDER BY ts`, 'nn'));
// Its daily mean: avg sums floats, in an order each engine chooses (DuckDB in parallel
// segments), so the last bits may differ: relative tolerance 1e-12.
same('BTC dominance, daily mean', await duckRows(`
    SELECT CAST(ts AS DATE), avg(btc_dominance), count(*) FROM g WHERE quote_currency = 'USD'
    GROUP BY 1 ORDER BY 1`),
  pgRows(`SELECT (ts AT TIME ZONE 'UTC')::date, avg(btc_dominance), count(*) FROM global_metrics
    WHERE quote_currency = 'USD' GROUP BY 1 ORDER BY 1`, 'snn'), [undefined, 1e-12]);
// And computed from the coins' market caps at each quote time the lake holds for Bitcoin: a sum
// over the coins again (in a different order in each engine): relative tolerance 1e-12.
same('BTC share of the coins\' market cap over time', await duckRows(`
    SELECT epoch_us(ts), 100 * sum(market_cap) FILTER (WHERE cmc_id = 1) / sum(market_cap), count(*)
    FROM q WHERE quote_currency = 'USD' GROUP BY ts
    HAVING count(*) FILTER (WHERE cmc_id = 1) = 1 ORDER BY ts`),
  pgRows(`SELECT (extract(epoch FROM ts) * 1000000)::bigint,
      100 * sum(market_cap) FILTER (WHERE cmc_id = 1) / sum(market_cap), count(*)
    FROM quotes WHERE quote_currency = 'USD' GROUP BY ts
    HAVING count(*) FILTER (WHERE cmc_id = 1) = 1 ORDER BY ts`, 'nnn'), [undefined, 1e-12]);
console.log('PASS: DuckDB over the compacted lake and PostgreSQL give the same answers');
