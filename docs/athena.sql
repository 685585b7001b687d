-- Athena (Presto/Trino) tables over the coinlake lake. Replace s3://YOUR-BUCKET/YOUR-PREFIX.
-- Partitions are Hive-style (dt=YYYY-MM-DD); partition projection finds them without crawlers
-- or MSCK REPAIR. Layout and guarantees: docs/lake.md.

CREATE DATABASE IF NOT EXISTS coinlake;

-- curated/quotes/dt=.../quotes_<time>.csv.gz: one row per coin per snapshot, header row.
CREATE EXTERNAL TABLE IF NOT EXISTS coinlake.curated_quotes (
  snapshot_ts              string,   -- ISO-8601 UTC: the response's status.timestamp
  cmc_id                   bigint,
  symbol                   string,
  name                     string,
  slug                     string,
  quote_currency           string,
  ts                       string,   -- ISO-8601 UTC: the quote's last_updated
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
  date_added               string
)
PARTITIONED BY (dt string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"')
LOCATION 's3://YOUR-BUCKET/YOUR-PREFIX/curated/quotes/'
TBLPROPERTIES (
  'skip.header.line.count' = '1',
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2020-01-01,NOW',
  'storage.location.template' = 's3://YOUR-BUCKET/YOUR-PREFIX/curated/quotes/dt=${dt}/'
);
-- OpenCSVSerde reads every column as written; cast in queries where needed:
--   SELECT from_iso8601_timestamp(ts) AS ts, symbol, price FROM coinlake.curated_quotes
--   WHERE dt = '2026-09-29' AND cmc_id = 1 ORDER BY ts;

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
