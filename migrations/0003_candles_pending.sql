-- coinlake schema, version 3: candles rebuilt in bulk. `coinlake reprocess` COPYs quotes
-- straight into `quotes` and, instead of merging every batch into the candles, records the
-- hours it touched here, in the same transaction as the quotes; at its end it recomputes those
-- hours' candles from the quotes, once, and deletes the rows (src/warehouse/loader.h).
CREATE TABLE candles_pending (
  hour timestamptz NOT NULL
);
COMMENT ON TABLE candles_pending IS 'Hours whose candles_hourly and candles_daily rows are not built yet: quotes were loaded by reprocess, which rebuilds them at its end (and so does the next reprocess, if one was killed). Empty when no reprocess is running. Duplicates are allowed (no index: loaders never wait on each other here).';
COMMENT ON COLUMN candles_pending.hour IS 'Start of the hour (UTC) of loaded quotes; its day''s daily candles are rebuilt too.';

GRANT SELECT, INSERT, DELETE ON candles_pending TO coinlake_writer;
GRANT SELECT ON candles_pending TO coinlake_reader;
