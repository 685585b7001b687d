-- coinlake schema, version 12: each cycle records the quotes it found carried over. Between two
-- CoinMarketCap refreshes a snapshot repeats quotes an earlier one stored, so the cycle stores
-- no row, and the pipeline page showed "0 rows" for a cycle that fetched a full snapshot.
ALTER TABLE runs ADD COLUMN quotes_carried bigint;
COMMENT ON COLUMN runs.rows IS 'Quote rows the cycle stored (new quotes only; see quotes_carried).';
COMMENT ON COLUMN runs.quotes_carried IS 'Quotes the cycle''s snapshots listed again unchanged (same coin, currency and time as a quote an earlier snapshot stored), so they added no row; NULL for a cycle from before this column.';
