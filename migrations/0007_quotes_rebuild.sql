-- coinlake schema, version 7: rebuilding quotes like pg_restore does. When `coinlake reprocess`
-- starts on an empty quotes table (after drop + migrate, or --force), it drops the table's
-- indexes, COPYs every object without maintaining them, and builds them once at its end, sorted:
-- about half the server's cost per row. The definitions wait in quotes_deferred_indexes, so a
-- run killed mid-load leaves a state that says so, and the next reprocess finishes it. Both
-- steps are SECURITY DEFINER functions: only the tables' owner may drop or build indexes, and
-- the ETL's login role need not own them (src/warehouse/loader.h, docs/database.md).
CREATE TABLE quotes_deferred_indexes (
  name       text PRIMARY KEY,
  definition text NOT NULL
);
COMMENT ON TABLE quotes_deferred_indexes IS 'Indexes of quotes dropped for a rebuild by reprocess, to be built at its end (and by the next reprocess, if one was killed). Empty unless a rebuild is under way: while it holds rows, quotes has no primary key and duplicate quotes may wait there for the end of the rebuild.';
COMMENT ON COLUMN quotes_deferred_indexes.name IS 'Name of the dropped index.';
COMMENT ON COLUMN quotes_deferred_indexes.definition IS 'The statement that builds it again (ALTER TABLE ... ADD CONSTRAINT, or CREATE INDEX).';
GRANT SELECT ON quotes_deferred_indexes TO coinlake_writer, coinlake_reader;

-- Drops the indexes of quotes if the table is empty (or a rebuild is already under way, which
-- the caller then joins) and returns whether a rebuild is under way.
CREATE FUNCTION coinlake_quotes_defer_indexes()
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  r record;
BEGIN
  -- Waits for uncommitted loads, and keeps new ones out until the transaction ends.
  LOCK TABLE quotes IN ACCESS EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM quotes_deferred_indexes) THEN
    RETURN true;
  END IF;
  IF EXISTS (SELECT 1 FROM quotes) THEN
    RETURN false;
  END IF;
  FOR r IN
    -- The definition of a partitioned index says ON ONLY (the parent alone): built that way,
    -- it would stay invalid, without its partitions' indexes.
    SELECT c.relname, con.conname,
           replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') AS indexdef,
           pg_get_constraintdef(con.oid) AS condef
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
    WHERE i.indrelid = 'quotes'::regclass
  LOOP
    IF r.conname IS NOT NULL THEN
      INSERT INTO quotes_deferred_indexes VALUES
        (r.relname, format('ALTER TABLE quotes ADD CONSTRAINT %I %s', r.conname, r.condef));
      EXECUTE format('ALTER TABLE quotes DROP CONSTRAINT %I', r.conname);
    ELSE
      INSERT INTO quotes_deferred_indexes VALUES (r.relname, r.indexdef);
      EXECUTE format('DROP INDEX %I', r.relname);
    END IF;
  END LOOP;
  RETURN true;
END
$$;
COMMENT ON FUNCTION coinlake_quotes_defer_indexes() IS 'Starts (or joins) a rebuild of quotes by reprocess: if quotes is empty, moves its indexes into quotes_deferred_indexes. Returns whether a rebuild is under way.';

-- Ends a rebuild: removes the duplicate quotes that loads without a primary key let in (the
-- earliest snapshot keeps a quote, as a load in key order does; the ledger's row counts and
-- the candles of those hours follow), then builds the indexes. Returns the number of
-- duplicates removed, or NULL when no rebuild was under way.
CREATE FUNCTION coinlake_quotes_restore_indexes()
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
        RETURNING q.lake_key, q.ts
      ), hours AS (
        INSERT INTO candles_pending (hour)
        SELECT DISTINCT date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') FROM gone
      ), ledger AS (
        UPDATE lake_objects l SET rows = l.rows - g.n
        FROM (SELECT lake_key, count(*) AS n FROM gone GROUP BY 1) g WHERE l.key = g.lake_key
      )
      SELECT count(*) INTO removed FROM gone;
      EXECUTE r.definition;
    END;
  END LOOP;
  DELETE FROM quotes_deferred_indexes;
  RETURN removed;
END
$$;
COMMENT ON FUNCTION coinlake_quotes_restore_indexes() IS 'Ends a rebuild of quotes: removes duplicate quotes (the earliest snapshot keeps each), then builds the indexes held in quotes_deferred_indexes. Returns the duplicates removed, NULL if no rebuild was under way.';
