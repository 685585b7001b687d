-- coinlake schema, version 11: which coins a quotes snapshot carried over. A quote is stored
-- once, with the first snapshot loaded that carried it, so a later snapshot that lists the same
-- quote (the coin's last_updated had not moved) has no row of its own for that coin. The
-- overview lists the newest snapshot: without this column it showed only the coins whose quote
-- had moved, which at one-minute polls is a part of them (CMC stamps coins by the minute, not
-- all at once).
ALTER TABLE lake_objects ADD COLUMN carried_ids bigint[];
COMMENT ON COLUMN lake_objects.carried_ids IS 'For a quotes snapshot: the coins it lists whose quote (same coin, currency and time) another snapshot loaded first already stored, so this snapshot has no row of its own for them; sorted, NULL when none. /api/v1/latest adds their newest quotes to the snapshot''s own rows.';

-- Ends a rebuild, as in version 7; the snapshots whose duplicate quotes it removes now record
-- those coins in carried_ids, as a load in key order does.
CREATE OR REPLACE FUNCTION coinlake_quotes_restore_indexes()
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
SET maintenance_work_mem = '128MB' AS $$
DECLARE
  r record;
  removed bigint := 0;
BEGIN
  LOCK TABLE quotes IN ACCESS EXCLUSIVE MODE;
  IF NOT EXISTS (SELECT 1 FROM quotes_deferred_indexes) THEN
    RETURN NULL;
  END IF;
  -- The unique index's build finds duplicates as cheaply as any query could: look for them
  -- only when it fails.
  FOR r IN SELECT * FROM quotes_deferred_indexes ORDER BY name LOOP
    BEGIN
      EXECUTE r.definition;
    EXCEPTION WHEN unique_violation THEN
      WITH dup AS (
        SELECT t, c FROM (
          SELECT tableoid AS t, ctid AS c, row_number() OVER (
            PARTITION BY cmc_id, quote_currency, ts ORDER BY snapshot_ts, lake_key) AS n
          FROM quotes) ranked
        WHERE n > 1
      ), gone AS (
        DELETE FROM quotes q USING dup WHERE q.tableoid = dup.t AND q.ctid = dup.c
        RETURNING q.lake_key, q.ts, q.cmc_id
      ), hours AS (
        INSERT INTO candles_pending (hour)
        SELECT DISTINCT date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') FROM gone
      ), ledger AS (
        UPDATE lake_objects l SET rows = l.rows - g.n,
          carried_ids = (SELECT array_agg(DISTINCT id ORDER BY id)
                         FROM unnest(l.carried_ids || g.ids) AS id)
        FROM (SELECT lake_key, count(*) AS n, array_agg(cmc_id) AS ids FROM gone GROUP BY 1) g
        WHERE l.key = g.lake_key
      )
      SELECT count(*) INTO removed FROM gone;
      EXECUTE r.definition;
    END;
  END LOOP;
  DELETE FROM quotes_deferred_indexes;
  RETURN removed;
END
$$;
