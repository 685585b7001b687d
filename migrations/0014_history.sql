-- coinlake schema, version 14: history from CoinMarketCap's historical endpoints (`coinlake
-- backfill`, `audit --fill`). Historical quotes and global metrics load into the same tables as
-- live ones (their lake_key names the endpoint). OHLCV bars are CMC's own candles: they load
-- into the candle tables as rows of their own, source 'cmc', beside the candle coinlake builds
-- from its quotes (source 'quotes'), so each stays a pure function of its input and neither is
-- built from the other (docs/history.md says which one a reader shows).
ALTER TABLE candles_hourly ADD COLUMN source text NOT NULL DEFAULT 'quotes'
  CHECK (source IN ('quotes', 'cmc'));
ALTER TABLE candles_daily ADD COLUMN source text NOT NULL DEFAULT 'quotes'
  CHECK (source IN ('quotes', 'cmc'));
ALTER TABLE candles_hourly DROP CONSTRAINT candles_hourly_pkey,
  ADD PRIMARY KEY (cmc_id, quote_currency, bucket, source);
ALTER TABLE candles_daily DROP CONSTRAINT candles_daily_pkey,
  ADD PRIMARY KEY (cmc_id, quote_currency, bucket, source);
COMMENT ON COLUMN candles_hourly.source IS 'quotes: built by coinlake from the quotes of the hour (samples counts them); cmc: CoinMarketCap''s own OHLCV bar from /ohlcv/historical (samples 0: built from none of coinlake''s quotes). Readers show the cmc bar where both exist.';
COMMENT ON COLUMN candles_daily.source IS 'quotes: built by coinlake from the quotes of the day (samples counts them); cmc: CoinMarketCap''s own daily OHLCV bar (samples 0). Readers show the cmc bar where both exist.';

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
