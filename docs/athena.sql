-- Athena (Presto/Trino) tables over the coinlake lake. Replace s3://YOUR-BUCKET/YOUR-PREFIX.
-- Partitions are Hive-style (dt=YYYY-MM-DD); partition projection finds them without crawlers
-- or MSCK REPAIR. Layout and guarantees: docs/lake.md.

CREATE DATABASE IF NOT EXISTS coinlake;

-- curated/<table>/dt=YYYY-MM-DD/<table>_YYYY-MM-DD_<sha12>.parquet, written by `coinlake compact`:
-- one Parquet file per table and UTC day (ZSTD, column statistics), rows sorted by coin, quote
-- currency and snapshot time; timestamps are TIMESTAMP(MICROS, UTC) in the files. Athena's
-- `timestamp` holds milliseconds; CMC's times are whole milliseconds. Manifests (which raw
-- objects made which file) are under curated/_manifests/, outside these tables' locations.
-- Columns are matched by name (Parquet), so the order below is only for reading.
--
-- The curated CSV table (curated/quotes/.../quotes_<time>.csv.gz, OpenCSVSerde) is retired:
-- the pipeline no longer writes those files and `coinlake compact` deletes a day's CSVs when it
-- writes its Parquet file. Drop it if you created it: DROP TABLE IF EXISTS coinlake.curated_quotes;

-- One row per coin per snapshot: a quote repeated by two snapshots of the same CMC update minute
-- appears twice, with equal (cmc_id, quote_currency, ts) and equal values. The database keeps it
-- once; SELECT DISTINCT or GROUP BY that identity to count quotes as the database does.
CREATE EXTERNAL TABLE IF NOT EXISTS coinlake.coinlake_quotes (
  snapshot_ts              timestamp,  -- the response's status.timestamp (historical rows: the point's time)
  cmc_id                   bigint,
  symbol                   string,
  name                     string,
  slug                     string,
  quote_currency           string,
  ts                       timestamp,  -- the quote's last_updated: (cmc_id, quote_currency, ts) is a quote
  cmc_rank                 bigint,
  num_market_pairs         bigint,
  price                    double,
  volume_24h               double,
  volume_change_24h        double,
  market_cap               double,
  market_cap_dominance     double,
  fully_diluted_market_cap double,
  percent_change_1h        double,
  percent_change_24h       double,
  percent_change_7d        double,
  percent_change_30d       double,
  percent_change_60d       double,
  percent_change_90d       double,
  circulating_supply       double,
  total_supply             double,
  max_supply               double,
  date_added               timestamp,
  lake_key                 string      -- the raw object the row came from
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/YOUR-PREFIX/curated/quotes/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2020-01-01,NOW',
  'storage.location.template' = 's3://YOUR-BUCKET/YOUR-PREFIX/curated/quotes/dt=${dt}/'
);

CREATE EXTERNAL TABLE IF NOT EXISTS coinlake.coinlake_global_metrics (
  snapshot_ts             timestamp,  -- the response's status.timestamp
  ts                      timestamp,  -- the figures' last_updated: (ts, quote_currency) is a row
  quote_currency          string,
  total_market_cap        double,
  total_volume_24h        double,
  btc_dominance           double,     -- percent
  eth_dominance           double,
  active_cryptocurrencies bigint,
  active_exchanges        bigint,
  active_market_pairs     bigint,
  defi_market_cap         double,
  stablecoin_market_cap   double,
  lake_key                string      -- the raw object the row came from
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://YOUR-BUCKET/YOUR-PREFIX/curated/global_metrics/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2020-01-01,NOW',
  'storage.location.template' = 's3://YOUR-BUCKET/YOUR-PREFIX/curated/global_metrics/dt=${dt}/'
);

-- The three questions tests/analytics/engines_check.mjs asks of DuckDB and PostgreSQL (ctest
-- analytics_engines), in Athena's SQL. Always filter on dt: it prunes the files read.
--
-- A coin's daily OHLC over a month (Bitcoin is cmc_id 1):
--   SELECT date(ts) AS day, min_by(price, ts) AS open, max(price) AS high, min(price) AS low,
--          max_by(price, ts) AS close
--   FROM coinlake.coinlake_quotes
--   WHERE dt BETWEEN '2026-11-01' AND '2026-11-30' AND cmc_id = 1 AND quote_currency = 'USD'
--   GROUP BY date(ts) ORDER BY day;
--
-- The day's top 10 movers, by percent change of price from the day's first quote to its last:
--   SELECT cmc_id, max_by(symbol, ts) AS symbol,
--          (max_by(price, ts) - min_by(price, ts)) / min_by(price, ts) * 100 AS pct_change
--   FROM coinlake.coinlake_quotes
--   WHERE dt = '2026-11-30' AND quote_currency = 'USD'
--   GROUP BY cmc_id HAVING min_by(price, ts) > 0
--   ORDER BY pct_change DESC LIMIT 10;
--
-- BTC dominance over time, as CMC's global metrics give it (DISTINCT: two snapshots can carry
-- the same figures):
--   SELECT DISTINCT ts, btc_dominance
--   FROM coinlake.coinlake_global_metrics
--   WHERE dt >= '2026-11-01' AND quote_currency = 'USD' ORDER BY ts;
-- or computed from the coins the lake holds, per snapshot:
--   SELECT snapshot_ts,
--          100 * sum(market_cap) FILTER (WHERE cmc_id = 1) / sum(market_cap) AS btc_share
--   FROM coinlake.coinlake_quotes
--   WHERE dt >= '2026-11-01' AND quote_currency = 'USD'
--   GROUP BY snapshot_ts ORDER BY snapshot_ts;
--
-- No Iceberg variant: `coinlake compact` writes plain Parquet files and manifests of its own,
-- not Iceberg metadata, and the tables above need no catalog commits. For Iceberg (snapshots,
-- time travel), create an Iceberg table in Athena and INSERT INTO it SELECT ... FROM
-- coinlake.coinlake_quotes WHERE dt = '...' once a day.

-- raw/cmc/listings_latest/dt=.../listings_latest_<time>.json.gz: the API response as received.
-- One row per response; unnest `data` for one row per coin. (.meta.json sidecars are excluded
-- by the file name pattern below.)
CREATE EXTERNAL TABLE IF NOT EXISTS coinlake.raw_listings_latest (
  status struct<
    `timestamp`: string,
    error_code: int,
    error_message: string,
    credit_count: int,
    total_count: int>,
  data array<struct<
    id: bigint,
    name: string,
    symbol: string,
    slug: string,
    cmc_rank: int,
    num_market_pairs: int,
    circulating_supply: double,
    total_supply: double,
    max_supply: double,
    date_added: string,
    last_updated: string,
    quote: map<string, struct<
      price: double,
      volume_24h: double,
      volume_change_24h: double,
      percent_change_1h: double,
      percent_change_24h: double,
      percent_change_7d: double,
      percent_change_30d: double,
      percent_change_60d: double,
      percent_change_90d: double,
      market_cap: double,
      market_cap_dominance: double,
      fully_diluted_market_cap: double,
      last_updated: string>>>>
)
PARTITIONED BY (dt string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'false')
LOCATION 's3://YOUR-BUCKET/YOUR-PREFIX/raw/cmc/listings_latest/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2020-01-01,NOW',
  'storage.location.template' = 's3://YOUR-BUCKET/YOUR-PREFIX/raw/cmc/listings_latest/dt=${dt}/'
);
-- Athena reads every file under a partition; the .meta.json sidecars parse as rows with a null
-- `data`, so filter them out:
--   SELECT status."timestamp", coin.symbol, coin.quote['USD'].price
--   FROM coinlake.raw_listings_latest CROSS JOIN UNNEST(data) AS t(coin)
--   WHERE dt = '2026-09-29' AND data IS NOT NULL;
