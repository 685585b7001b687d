-- coinlake schema, version 5: assets merged in bulk. Every listings snapshot touches every
-- coin's assets row (its last_seen), so reprocess's per-batch upserts rewrote all of them once
-- per transaction and its parallel loaders queued on those row locks. Reprocess now appends
-- each batch's folded assets here, in the transaction of its quotes (no index, no lock), and
-- merges them into assets and asset_names once at its end, with the candles
-- (src/warehouse/loader.h). The merges are idempotent (latest names win, seen ranges widen).
CREATE TABLE assets_pending (
  cmc_id bigint NOT NULL,
  symbol text NOT NULL,
  name text NOT NULL,
  slug text NOT NULL,
  date_added timestamptz,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL
);
COMMENT ON TABLE assets_pending IS 'Assets seen by reprocess loads, one row per coin per load transaction, not yet merged into assets: reprocess merges them at its end (and so does the next reprocess, if one was killed). Empty when no reprocess is running.';
COMMENT ON COLUMN assets_pending.cmc_id IS 'The coin.';
COMMENT ON COLUMN assets_pending.symbol IS 'Symbol in the latest snapshot of the transaction that listed the coin.';
COMMENT ON COLUMN assets_pending.name IS 'Name, as symbol.';
COMMENT ON COLUMN assets_pending.slug IS 'Slug, as symbol.';
COMMENT ON COLUMN assets_pending.date_added IS 'Latest date_added the transaction saw, if any.';
COMMENT ON COLUMN assets_pending.first_seen IS 'First snapshot of the transaction that listed the coin.';
COMMENT ON COLUMN assets_pending.last_seen IS 'Last snapshot of the transaction that listed the coin.';

CREATE TABLE asset_names_pending (
  cmc_id bigint NOT NULL,
  symbol text NOT NULL,
  name text NOT NULL,
  slug text NOT NULL,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL
);
COMMENT ON TABLE asset_names_pending IS 'asset_names rows seen by reprocess loads, not yet merged (as assets_pending).';
COMMENT ON COLUMN asset_names_pending.cmc_id IS 'The coin.';
COMMENT ON COLUMN asset_names_pending.symbol IS 'Symbol the coin carried.';
COMMENT ON COLUMN asset_names_pending.name IS 'Name the coin carried.';
COMMENT ON COLUMN asset_names_pending.slug IS 'Slug the coin carried.';
COMMENT ON COLUMN asset_names_pending.first_seen IS 'First snapshot of the transaction with these names.';
COMMENT ON COLUMN asset_names_pending.last_seen IS 'Last snapshot of the transaction with these names.';

GRANT SELECT, INSERT, DELETE ON assets_pending, asset_names_pending TO coinlake_writer;
GRANT SELECT ON assets_pending, asset_names_pending TO coinlake_reader;
