-- coinlake schema, version 20: a quote names the lake object it came from by the ledger's
-- integer id (quotes.lake_object_id = lake_objects.id), no longer by the object's key. The key
-- text was about 80 of a quote row's 282 bytes of heap: the largest single cost of keeping
-- quotes in PostgreSQL (docs/deploy.md, "Sizing"), and bytes every load sent and wrote. The key
-- stays in the ledger, one row per object; `JOIN lake_objects l ON l.id = q.lake_object_id`
-- gives it back. No foreign key: the loader writes the ledger row first in the same
-- transaction, and a check per quote row would cost the server what this change saves.
--
-- Existing quotes are rewritten once, each key looked up in the ledger: on a large database
-- this migration takes a while (about 10 s per million quotes on a small server). Rebuilding
-- the database from the lake (docs/operations.md, "Rebuilding the database") is the
-- alternative for a very large one.

ALTER TABLE lake_objects ADD COLUMN id integer GENERATED ALWAYS AS IDENTITY;
ALTER TABLE lake_objects ADD CONSTRAINT lake_objects_id_key UNIQUE (id);
COMMENT ON COLUMN lake_objects.id IS 'Short name of the object inside the database: quotes.lake_object_id. Assigned when the object is loaded; a rebuilt database numbers its objects anew.';

-- Every quote must have its ledger row (the loader writes both in one transaction); a quote
-- without one would stop the rewrite below with a less helpful message.
DO $$
DECLARE
  orphan text;
BEGIN
  SELECT q.lake_key INTO orphan FROM quotes q
  WHERE NOT EXISTS (SELECT 1 FROM lake_objects l WHERE l.key = q.lake_key) LIMIT 1;
  IF orphan IS NOT NULL THEN
    RAISE EXCEPTION 'quotes from % have no row in lake_objects (the ledger): restore it, or delete those quotes, before this migration', orphan;
  END IF;
END
$$;

CREATE FUNCTION pg_temp.coinlake_lake_object_id(object_key text) RETURNS integer
LANGUAGE sql STABLE AS $$ SELECT id FROM public.lake_objects WHERE key = object_key $$;
-- One rewrite of every partition, in place of the text column (the row keeps its column order).
ALTER TABLE quotes ALTER COLUMN lake_key TYPE integer
  USING pg_temp.coinlake_lake_object_id(lake_key);
ALTER TABLE quotes RENAME COLUMN lake_key TO lake_object_id;
COMMENT ON COLUMN quotes.lake_object_id IS 'The lake object the row was loaded from: lake_objects.id (its key is lake_objects.key).';

-- Ends a rebuild, as in version 13; a duplicate quote is now told by its object's id, and the
-- earliest snapshot still keeps it (its key breaks a tie, as before). The hours of the removed
-- copies are no longer marked for a candle rebuild: during a rebuild every load leaves its hours
-- pending (reprocess's deferred loads, and since this version the ETL's loads too), except the
-- rebuild that folds its own candles (src/warehouse/candle_fold.h), which keeps the same copy.
CREATE OR REPLACE FUNCTION coinlake_quotes_restore_indexes()
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
SET maintenance_work_mem = '128MB' AS $$
DECLARE
  r record;
  removed bigint := 0;
BEGIN
  LOCK TABLE public.quotes IN ACCESS EXCLUSIVE MODE;
  IF NOT EXISTS (SELECT 1 FROM public.quotes_deferred_indexes) THEN
    RETURN NULL;
  END IF;
  -- The unique index's build finds duplicates as cheaply as any query could: look for them
  -- only when it fails.
  FOR r IN SELECT * FROM public.quotes_deferred_indexes ORDER BY name LOOP
    BEGIN
      EXECUTE r.definition;
    EXCEPTION WHEN unique_violation THEN
      WITH dup AS (
        SELECT t, c FROM (
          SELECT q.tableoid AS t, q.ctid AS c, row_number() OVER (
            PARTITION BY q.cmc_id, q.quote_currency, q.ts ORDER BY q.snapshot_ts, l.key) AS n
          FROM public.quotes q LEFT JOIN public.lake_objects l ON l.id = q.lake_object_id) ranked
        WHERE n > 1
      ), gone AS (
        DELETE FROM public.quotes q USING dup WHERE q.tableoid = dup.t AND q.ctid = dup.c
        RETURNING q.lake_object_id, q.cmc_id
      ), ledger AS (
        UPDATE public.lake_objects l SET rows = l.rows - g.n,
          carried_ids = (SELECT array_agg(DISTINCT carried ORDER BY carried)
                         FROM unnest(l.carried_ids || g.ids) AS u (carried))
        FROM (SELECT lake_object_id, count(*) AS n, array_agg(cmc_id) AS ids FROM gone
              GROUP BY 1) g
        WHERE l.id = g.lake_object_id
      )
      SELECT count(*) INTO removed FROM gone;
      EXECUTE r.definition;
    END;
  END LOOP;
  DELETE FROM public.quotes_deferred_indexes;
  RETURN removed;
END
$$;
