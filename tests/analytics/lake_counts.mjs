// Counts what DuckDB sees in a coinlake lake folder, reading it the way an analyst would
// (hive partitioning on dt=YYYY-MM-DD), and prints one JSON object:
//   {"raw_objects": n, "raw_rows": n, "raw_quotes": n, "raw_days": n,
//    "curated_rows": n, "curated_quotes": n, "curated_days": n}
// *_rows counts every coin of every snapshot; *_quotes counts distinct (coin, currency, quote
// time), the identity of a row in the database's quotes table (snapshots taken within one CMC
// update minute repeat the same quote).
// Usage: node lake_counts.mjs /path/to/lake
import { DuckDBInstance } from '@duckdb/node-api';

const lake = process.argv[2];
if (!lake) {
  console.error('usage: node lake_counts.mjs LAKE_DIR');
  process.exit(2);
}

const instance = await DuckDBInstance.create(':memory:');
const db = await instance.connect();

async function one(sql) {
  const reader = await db.runAndReadAll(sql);
  const [row] = reader.getRowObjectsJS();
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

const raw = await one(`
  SELECT count(DISTINCT filename) AS raw_objects, count(*) AS raw_rows,
         count(DISTINCT (coin.id, coin.quote.USD.last_updated)) AS raw_quotes,
         count(DISTINCT dt) AS raw_days
  FROM (
    SELECT filename, dt, unnest(data) AS coin
    FROM read_json('${lake}/raw/cmc/listings_latest/*/*.json.gz', hive_partitioning = true,
                   filename = true, maximum_object_size = 268435456)
  )`);
const curated = await one(`
  SELECT count(*) AS curated_rows, count(DISTINCT (cmc_id, quote_currency, ts)) AS curated_quotes,
         count(DISTINCT dt) AS curated_days
  FROM read_parquet('${lake}/curated/quotes/*/*.parquet', hive_partitioning = true)`);
console.log(JSON.stringify({ ...raw, ...curated }));
