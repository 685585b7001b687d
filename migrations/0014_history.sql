-- coinlake schema, version 14: history from CoinMarketCap's historical endpoints (`coinlake
-- backfill`, `audit --fill`). Historical quotes and global metrics load into the same tables as
-- live ones (their lake_key names the endpoint). OHLCV bars are CMC's own candles: they load
-- into the candle tables marked 'cmc', and a candle coinlake builds from quotes never overwrites
-- one (docs/history.md says what wins where).
ALTER TABLE candles_hourly ADD COLUMN source text NOT NULL DEFAULT 'quotes'
  CHECK (source IN ('quotes', 'cmc'));
ALTER TABLE candles_daily ADD COLUMN source text NOT NULL DEFAULT 'quotes'
  CHECK (source IN ('quotes', 'cmc'));
COMMENT ON COLUMN candles_hourly.source IS 'quotes: built by coinlake from the quotes of the hour (samples counts them); cmc: CoinMarketCap''s own OHLCV bar (/ohlcv/historical, samples 0), which quotes never overwrite.';
COMMENT ON COLUMN candles_daily.source IS 'quotes: built by coinlake from the quotes (or hourly candles) of the day; cmc: CoinMarketCap''s own daily OHLCV bar (samples 0), which quotes never overwrite.';

-- What the API key's plan was found to allow, per historical endpoint: the first backfill request
-- of an endpoint costs at most one credit and its answer is recorded here, so a plan without
-- historical access is told once, shown by `coinlake plan` and the pipeline page, not retried.
CREATE TABLE endpoint_access (
  endpoint       text PRIMARY KEY,
  allowed        boolean NOT NULL,
  checked_at     timestamptz NOT NULL,
  http_status    integer,
  error_code     integer,
  message        text NOT NULL DEFAULT '',
  earliest       timestamptz
);
COMMENT ON TABLE endpoint_access IS 'Per CMC historical endpoint, what the last probe of the API key''s plan found (coinlake backfill).';
COMMENT ON COLUMN endpoint_access.endpoint IS 'Lake name of the endpoint: quotes_historical, ohlcv_historical, global_metrics_historical, listings_historical.';
COMMENT ON COLUMN endpoint_access.allowed IS 'Whether the probe was answered with data.';
COMMENT ON COLUMN endpoint_access.checked_at IS 'When the probe ran.';
COMMENT ON COLUMN endpoint_access.http_status IS 'HTTP status of the probe''s answer.';
COMMENT ON COLUMN endpoint_access.error_code IS 'CMC status.error_code of the answer (1006: not on this plan; 400: outside the plan''s window).';
COMMENT ON COLUMN endpoint_access.message IS 'CMC''s own error_message, empty when allowed.';
COMMENT ON COLUMN endpoint_access.earliest IS 'The earliest time the probe asked for (the start of the backfill it checked).';
GRANT SELECT, INSERT, UPDATE ON endpoint_access TO coinlake_writer;
GRANT SELECT ON endpoint_access TO coinlake_reader;
