-- coinlake schema, version 1: assets, partitioned quotes, candles, global metrics, the lake
-- ledger, fetch runs, and the two roles (ETL writer, dashboard reader).

CREATE TABLE assets (
  cmc_id      bigint PRIMARY KEY,
  symbol      text NOT NULL,
  name        text NOT NULL,
  slug        text NOT NULL,
  date_added  timestamptz,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL
);
COMMENT ON TABLE assets IS 'One row per CoinMarketCap coin. The CMC id, never the symbol, is the identity: symbols repeat and change. Symbol, name and slug are the latest seen; asset_names keeps every earlier one.';
COMMENT ON COLUMN assets.cmc_id IS 'CoinMarketCap id (BTC 1, ETH 1027): stable across renames.';
COMMENT ON COLUMN assets.symbol IS 'Latest ticker symbol. Not unique: 13 coins were called BTC in 2026.';
COMMENT ON COLUMN assets.name IS 'Latest display name; may be non-ASCII.';
COMMENT ON COLUMN assets.slug IS 'Latest URL slug on coinmarketcap.com.';
COMMENT ON COLUMN assets.date_added IS 'When CMC added the coin (CMC date_added), if known.';
COMMENT ON COLUMN assets.first_seen IS 'Data time of the first snapshot that listed the coin.';
COMMENT ON COLUMN assets.last_seen IS 'Data time of the latest snapshot that listed the coin.';

CREATE TABLE asset_names (
  cmc_id      bigint NOT NULL REFERENCES assets (cmc_id),
  symbol      text NOT NULL,
  name        text NOT NULL,
  slug        text NOT NULL,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  PRIMARY KEY (cmc_id, symbol, name, slug)
);
COMMENT ON TABLE asset_names IS 'Every (symbol, name, slug) a coin has carried, with when it was first and last seen: renames and symbol changes are kept.';
COMMENT ON COLUMN asset_names.cmc_id IS 'The coin (assets.cmc_id).';
COMMENT ON COLUMN asset_names.symbol IS 'Symbol carried in this period.';
COMMENT ON COLUMN asset_names.name IS 'Name carried in this period.';
COMMENT ON COLUMN asset_names.slug IS 'Slug carried in this period.';
COMMENT ON COLUMN asset_names.first_seen IS 'Data time of the first snapshot with these names.';
COMMENT ON COLUMN asset_names.last_seen IS 'Data time of the latest snapshot with these names.';

CREATE TABLE quotes (
  cmc_id                   bigint NOT NULL,
  quote_currency           text NOT NULL,
  ts                       timestamptz NOT NULL,
  snapshot_ts              timestamptz NOT NULL,
  cmc_rank                 integer,
  price                    double precision,
  volume_24h               double precision,
  volume_change_24h        double precision,
  market_cap               double precision,
  market_cap_dominance     double precision,
  fully_diluted_market_cap double precision,
  percent_change_1h        double precision,
  percent_change_24h       double precision,
  percent_change_7d        double precision,
  percent_change_30d       double precision,
  percent_change_60d       double precision,
  percent_change_90d       double precision,
  circulating_supply       double precision,
  total_supply             double precision,
  max_supply               double precision,
  num_market_pairs         integer,
  lake_key                 text NOT NULL,
  PRIMARY KEY (cmc_id, quote_currency, ts)
) PARTITION BY RANGE (ts);
COMMENT ON TABLE quotes IS 'One row per (coin, quote currency, quote time): the price history. Partitioned by month of ts; partitions are created ahead by coinlake_ensure_quote_partitions().';
COMMENT ON COLUMN quotes.cmc_id IS 'The coin (assets.cmc_id).';
COMMENT ON COLUMN quotes.quote_currency IS 'Currency of the price and amounts, e.g. USD.';
COMMENT ON COLUMN quotes.ts IS 'The quote''s own last_updated time (CMC refreshes every 60 s): the identity of the row.';
COMMENT ON COLUMN quotes.snapshot_ts IS 'status.timestamp of the API response the row came from.';
COMMENT ON COLUMN quotes.cmc_rank IS 'Rank by market cap at that time.';
COMMENT ON COLUMN quotes.price IS 'Price in quote_currency.';
COMMENT ON COLUMN quotes.volume_24h IS 'Trading volume over the last 24 hours, in quote_currency.';
COMMENT ON COLUMN quotes.volume_change_24h IS 'Change of the 24h volume against the day before, percent.';
COMMENT ON COLUMN quotes.market_cap IS 'Price times circulating supply, in quote_currency.';
COMMENT ON COLUMN quotes.market_cap_dominance IS 'Share of the whole market cap, percent.';
COMMENT ON COLUMN quotes.fully_diluted_market_cap IS 'Price times maximum (or total) supply.';
COMMENT ON COLUMN quotes.percent_change_1h IS 'Price change over 1 hour, percent.';
COMMENT ON COLUMN quotes.percent_change_24h IS 'Price change over 24 hours, percent.';
COMMENT ON COLUMN quotes.percent_change_7d IS 'Price change over 7 days, percent.';
COMMENT ON COLUMN quotes.percent_change_30d IS 'Price change over 30 days, percent.';
COMMENT ON COLUMN quotes.percent_change_60d IS 'Price change over 60 days, percent.';
COMMENT ON COLUMN quotes.percent_change_90d IS 'Price change over 90 days, percent.';
COMMENT ON COLUMN quotes.circulating_supply IS 'Coins in circulation.';
COMMENT ON COLUMN quotes.total_supply IS 'Coins in existence, minus burned ones.';
COMMENT ON COLUMN quotes.max_supply IS 'Hard cap, NULL when uncapped.';
COMMENT ON COLUMN quotes.num_market_pairs IS 'Number of trading pairs CMC tracks.';
COMMENT ON COLUMN quotes.lake_key IS 'The lake object (lake_objects.key) the row was loaded from.';
CREATE INDEX quotes_snapshot ON quotes (snapshot_ts, quote_currency, cmc_rank);

-- Creates the monthly partitions of quotes that cover [from_ts, to_ts]. Idempotent and safe to
-- call from concurrent loaders (a concurrent duplicate is ignored).
CREATE FUNCTION coinlake_ensure_quote_partitions(from_ts timestamptz, to_ts timestamptz)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  month_start date := date_trunc('month', from_ts AT TIME ZONE 'UTC')::date;
  last_month  date := date_trunc('month', to_ts AT TIME ZONE 'UTC')::date;
  part_name   text;
BEGIN
  WHILE month_start <= last_month LOOP
    part_name := format('quotes_%s', to_char(month_start, 'YYYY_MM'));
    IF to_regclass(part_name) IS NULL THEN
      -- Two loaders may race to create the same month: the loser's duplicate is harmless.
      BEGIN
        EXECUTE format(
          'CREATE TABLE %I PARTITION OF quotes FOR VALUES FROM (%L) TO (%L)', part_name,
          (month_start::timestamp AT TIME ZONE 'UTC'),
          ((month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
        EXECUTE format('COMMENT ON TABLE %I IS %L', part_name,
                       'Quotes of ' || to_char(month_start, 'YYYY-MM') || ' (a partition of quotes).');
      EXCEPTION WHEN duplicate_table OR unique_violation THEN
        NULL;
      END;
    END IF;
    month_start := month_start + interval '1 month';
  END LOOP;
END $$;
COMMENT ON FUNCTION coinlake_ensure_quote_partitions(timestamptz, timestamptz) IS 'Creates the monthly quotes partitions covering the range; called by the loader and by migrate (this month and the next).';

CREATE TABLE candles_hourly (
  cmc_id         bigint NOT NULL,
  quote_currency text NOT NULL,
  bucket         timestamptz NOT NULL,
  open           double precision,
  high           double precision,
  low            double precision,
  close          double precision,
  volume_24h     double precision,
  samples        integer NOT NULL,
  first_ts       timestamptz NOT NULL,
  last_ts        timestamptz NOT NULL,
  PRIMARY KEY (cmc_id, quote_currency, bucket)
);
COMMENT ON TABLE candles_hourly IS 'Hourly OHLC candles rolled up from quotes as they load (exactly once: only newly inserted quotes are merged).';
COMMENT ON COLUMN candles_hourly.cmc_id IS 'The coin (assets.cmc_id).';
COMMENT ON COLUMN candles_hourly.quote_currency IS 'Currency of the prices.';
COMMENT ON COLUMN candles_hourly.bucket IS 'Start of the hour (UTC).';
COMMENT ON COLUMN candles_hourly.open IS 'Price of the first sample in the hour.';
COMMENT ON COLUMN candles_hourly.high IS 'Highest sampled price.';
COMMENT ON COLUMN candles_hourly.low IS 'Lowest sampled price.';
COMMENT ON COLUMN candles_hourly.close IS 'Price of the last sample in the hour.';
COMMENT ON COLUMN candles_hourly.volume_24h IS '24h volume at the last sample (CMC gives rolling 24h volume, not per-candle volume).';
COMMENT ON COLUMN candles_hourly.samples IS 'Number of quotes the candle is built from: a thin candle has few.';
COMMENT ON COLUMN candles_hourly.first_ts IS 'Time of the first sample (the open).';
COMMENT ON COLUMN candles_hourly.last_ts IS 'Time of the last sample (the close).';

CREATE TABLE candles_daily (LIKE candles_hourly INCLUDING ALL);
COMMENT ON TABLE candles_daily IS 'Daily (UTC) OHLC candles rolled up from quotes as they load.';
COMMENT ON COLUMN candles_daily.cmc_id IS 'The coin (assets.cmc_id).';
COMMENT ON COLUMN candles_daily.quote_currency IS 'Currency of the prices.';
COMMENT ON COLUMN candles_daily.bucket IS 'Start of the UTC day.';
COMMENT ON COLUMN candles_daily.open IS 'Price of the first sample in the day.';
COMMENT ON COLUMN candles_daily.high IS 'Highest sampled price.';
COMMENT ON COLUMN candles_daily.low IS 'Lowest sampled price.';
COMMENT ON COLUMN candles_daily.close IS 'Price of the last sample in the day.';
COMMENT ON COLUMN candles_daily.volume_24h IS '24h volume at the last sample.';
COMMENT ON COLUMN candles_daily.samples IS 'Number of quotes the candle is built from.';
COMMENT ON COLUMN candles_daily.first_ts IS 'Time of the first sample (the open).';
COMMENT ON COLUMN candles_daily.last_ts IS 'Time of the last sample (the close).';

CREATE TABLE global_metrics (
  ts                       timestamptz NOT NULL,
  quote_currency           text NOT NULL,
  total_market_cap         double precision,
  total_volume_24h         double precision,
  btc_dominance            double precision,
  eth_dominance            double precision,
  active_cryptocurrencies  integer,
  active_exchanges         integer,
  active_market_pairs      integer,
  defi_market_cap          double precision,
  stablecoin_market_cap    double precision,
  lake_key                 text NOT NULL,
  PRIMARY KEY (ts, quote_currency)
);
COMMENT ON TABLE global_metrics IS 'Whole-market figures over time, from /v1/global-metrics/quotes/latest.';
COMMENT ON COLUMN global_metrics.ts IS 'The figures'' last_updated time.';
COMMENT ON COLUMN global_metrics.quote_currency IS 'Currency of the amounts.';
COMMENT ON COLUMN global_metrics.total_market_cap IS 'Market cap of all coins.';
COMMENT ON COLUMN global_metrics.total_volume_24h IS 'Volume of all coins over 24 hours.';
COMMENT ON COLUMN global_metrics.btc_dominance IS 'Bitcoin''s share of the market cap, percent.';
COMMENT ON COLUMN global_metrics.eth_dominance IS 'Ethereum''s share of the market cap, percent.';
COMMENT ON COLUMN global_metrics.active_cryptocurrencies IS 'Coins CMC lists as active.';
COMMENT ON COLUMN global_metrics.active_exchanges IS 'Exchanges CMC lists as active.';
COMMENT ON COLUMN global_metrics.active_market_pairs IS 'Market pairs CMC tracks.';
COMMENT ON COLUMN global_metrics.defi_market_cap IS 'Market cap of DeFi coins.';
COMMENT ON COLUMN global_metrics.stablecoin_market_cap IS 'Market cap of stablecoins.';
COMMENT ON COLUMN global_metrics.lake_key IS 'The lake object the row was loaded from.';

CREATE TABLE lake_objects (
  key        text PRIMARY KEY,
  sha256     text NOT NULL,
  size       bigint NOT NULL,
  endpoint   text NOT NULL,
  data_ts    timestamptz NOT NULL,
  rows       integer NOT NULL,
  loaded_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lake_objects IS 'The ledger: one row per lake object loaded, committed in the same transaction as its rows, so an object is loaded exactly once.';
COMMENT ON COLUMN lake_objects.key IS 'Object key in the lake, e.g. raw/cmc/listings_latest/dt=2026-09-29/listings_latest_2026-09-29T03-55-03Z.json.gz.';
COMMENT ON COLUMN lake_objects.sha256 IS 'SHA-256 (hex) of the stored object bytes; a different object under a loaded key is an alert.';
COMMENT ON COLUMN lake_objects.size IS 'Size of the stored object in bytes.';
COMMENT ON COLUMN lake_objects.endpoint IS 'CMC endpoint the object came from (listings_latest, ...).';
COMMENT ON COLUMN lake_objects.data_ts IS 'The response''s status.timestamp: the data time in the key.';
COMMENT ON COLUMN lake_objects.rows IS 'Typed rows the object yielded.';
COMMENT ON COLUMN lake_objects.loaded_at IS 'When the load transaction committed.';
CREATE INDEX lake_objects_data_ts ON lake_objects (data_ts);

CREATE TABLE runs (
  id           bigserial PRIMARY KEY,
  command      text NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  outcome      text NOT NULL DEFAULT 'running'
               CHECK (outcome IN ('running', 'ok', 'partial', 'failed')),
  credits      integer NOT NULL DEFAULT 0,
  objects      integer NOT NULL DEFAULT 0,
  rows         integer NOT NULL DEFAULT 0,
  error_class  text,
  error        text
);
COMMENT ON TABLE runs IS 'One row per fetch cycle: when it ran, how it ended, what it cost and loaded.';
COMMENT ON COLUMN runs.id IS 'Cycle number.';
COMMENT ON COLUMN runs.command IS 'fetch or run.';
COMMENT ON COLUMN runs.started_at IS 'When the cycle started.';
COMMENT ON COLUMN runs.finished_at IS 'When it ended; NULL while running (or if the process died).';
COMMENT ON COLUMN runs.outcome IS 'running, ok, partial (some endpoints failed) or failed.';
COMMENT ON COLUMN runs.credits IS 'CMC credits the cycle used (sum of status.credit_count).';
COMMENT ON COLUMN runs.objects IS 'Lake objects the cycle wrote.';
COMMENT ON COLUMN runs.rows IS 'Rows the cycle loaded.';
COMMENT ON COLUMN runs.error_class IS 'Error class when not ok (UNAVAILABLE, RESOURCE_EXHAUSTED, INVALID_ARGUMENT, ...).';
COMMENT ON COLUMN runs.error IS 'The error message when not ok (never contains secrets).';
CREATE INDEX runs_started_at ON runs (started_at);

-- Roles. NOLOGIN group roles: deployments grant them to login users
-- (e.g. CREATE ROLE etl LOGIN IN ROLE coinlake_writer).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'coinlake_writer') THEN
    CREATE ROLE coinlake_writer NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'coinlake_reader') THEN
    CREATE ROLE coinlake_reader NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA public TO coinlake_writer, coinlake_reader;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO coinlake_writer;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO coinlake_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO coinlake_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO coinlake_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO coinlake_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO coinlake_reader;
