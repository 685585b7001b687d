-- coinlake schema, version 22: the end of a rebuild costs the server less (issue #25).
--
-- The quotes' indexes are built without parallel workers. On the two-core machine of the
-- loading benchmark, a parallel build of the two indexes over 300,000 rows took as long as a
-- serial one (0.72 s against 0.72 s) and cost the server 0.35 s more CPU (1.07 s against
-- 0.72 s): the workers' sorted runs are merged again by the leader, and the loader's client
-- shares the cores. On a two-vCPU RDS instance the CPU is the bill and the burst credits.
ALTER FUNCTION coinlake_quotes_restore_indexes() SET max_parallel_maintenance_workers = 0;

-- The merge of the pending assets reads them under a lock and truncates them, instead of
-- deleting them row by row, which marked and logged every row: merging 50,000 pending rows
-- into 5000 assets took 0.30-0.37 s that way, 0.18 s this way.
GRANT TRUNCATE ON assets_pending, asset_names_pending TO coinlake_writer;

-- A rebuild that folds its candles folds its assets too, in memory across its loads, and
-- appends them to the pending tables once a minute and at its end instead of once per load
-- transaction (src/warehouse/folded_assets.h). While it runs, this row says which loaded
-- objects may have their assets only in its memory; a killed rebuild leaves it behind and the
-- next reprocess reads those objects again.
CREATE TABLE assets_folded_through (
  lake_object_id integer NOT NULL
);
COMMENT ON TABLE assets_folded_through IS 'At most one row, while a reprocess rebuild folds assets (or after one was killed): the assets of the ledger''s objects with a greater id may be only in that rebuild''s memory. Removed when the rebuild writes its last fold; the next reprocess reads the objects again when no rebuild folds.';
COMMENT ON COLUMN assets_folded_through.lake_object_id IS 'lake_objects.id: every object up to it has its assets in assets or the pending tables.';
GRANT SELECT, INSERT, UPDATE, DELETE ON assets_folded_through TO coinlake_writer;
GRANT SELECT ON assets_folded_through TO coinlake_reader;

-- When a pending row's date_added was seen. Its last_seen is not that time when a later
-- sighting in the same batch had no date_added, and the merge took the date_added of the
-- latest last_seen: wrong when two batches interleave (two workers take alternate snapshots).
ALTER TABLE assets_pending ADD COLUMN date_added_seen timestamptz;
COMMENT ON COLUMN assets_pending.date_added_seen IS 'Snapshot in which date_added was seen (NULL with date_added; rows of schema versions before 22: taken as last_seen).';
