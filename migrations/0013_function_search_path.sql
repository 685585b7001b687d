-- coinlake schema, version 13: the SECURITY DEFINER functions resolve names only where their
-- owner put them. PostgreSQL searches the caller's temporary schema FIRST for tables unless the
-- function's search_path names pg_temp, so `search_path = public` let a member of
-- coinlake_writer create a temporary quotes_deferred_indexes holding any statement and have
-- coinlake_quotes_restore_indexes() execute it as the owner (a superuser, where migrate runs as
-- one). Each function now sets `search_path = pg_catalog, public, pg_temp` (pg_temp last: it is
-- searched only for names public lacks) and names every table public.<name>, so no object of
-- the caller's can stand in for one of ours. migrate's test checks every SECURITY DEFINER
-- function of the schema for this rule.

CREATE OR REPLACE FUNCTION coinlake_ensure_quote_partitions(from_ts timestamptz, to_ts timestamptz)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  month_start date := date_trunc('month', from_ts AT TIME ZONE 'UTC')::date;
  last_month  date := date_trunc('month', to_ts AT TIME ZONE 'UTC')::date;
  part_name   text;
BEGIN
  WHILE month_start <= last_month LOOP
    part_name := format('quotes_%s', to_char(month_start, 'YYYY_MM'));
    -- Qualified: a temporary table of the same name must not make us skip the partition.
    IF to_regclass(format('public.%I', part_name)) IS NULL THEN
      -- Two loaders may race to create the same month: the loser's duplicate is harmless.
      BEGIN
        EXECUTE format(
          'CREATE TABLE public.%I PARTITION OF public.quotes FOR VALUES FROM (%L) TO (%L)', part_name,
          (month_start::timestamp AT TIME ZONE 'UTC'),
          ((month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
        EXECUTE format('COMMENT ON TABLE public.%I IS %L', part_name,
                       'Quotes of ' || to_char(month_start, 'YYYY-MM') || ' (a partition of quotes).');
      EXCEPTION WHEN duplicate_table OR unique_violation THEN
        NULL;
      END;
    END IF;
    month_start := month_start + interval '1 month';
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION coinlake_quotes_defer_indexes()
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  r record;
BEGIN
  -- Waits for uncommitted loads, and keeps new ones out until the transaction ends.
  LOCK TABLE public.quotes IN ACCESS EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM public.quotes_deferred_indexes) THEN
    RETURN true;
  END IF;
  IF EXISTS (SELECT 1 FROM public.quotes) THEN
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
    WHERE i.indrelid = 'public.quotes'::regclass
  LOOP
    IF r.conname IS NOT NULL THEN
      INSERT INTO public.quotes_deferred_indexes VALUES
        (r.relname, format('ALTER TABLE public.quotes ADD CONSTRAINT %I %s', r.conname, r.condef));
      EXECUTE format('ALTER TABLE public.quotes DROP CONSTRAINT %I', r.conname);
    ELSE
      INSERT INTO public.quotes_deferred_indexes VALUES (r.relname, r.indexdef);
      EXECUTE format('DROP INDEX public.%I', r.relname);
    END IF;
  END LOOP;
  RETURN true;
END
$$;

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
          SELECT tableoid AS t, ctid AS c, row_number() OVER (
            PARTITION BY cmc_id, quote_currency, ts ORDER BY snapshot_ts, lake_key) AS n
          FROM public.quotes) ranked
        WHERE n > 1
      ), gone AS (
        DELETE FROM public.quotes q USING dup WHERE q.tableoid = dup.t AND q.ctid = dup.c
        RETURNING q.lake_key, q.ts, q.cmc_id
      ), hours AS (
        INSERT INTO public.candles_pending (hour)
        SELECT DISTINCT date_bin('1 hour', ts, timestamptz '2000-01-01 00:00:00+00') FROM gone
      ), ledger AS (
        UPDATE public.lake_objects l SET rows = l.rows - g.n,
          carried_ids = (SELECT array_agg(DISTINCT id ORDER BY id)
                         FROM unnest(l.carried_ids || g.ids) AS id)
        FROM (SELECT lake_key, count(*) AS n, array_agg(cmc_id) AS ids FROM gone GROUP BY 1) g
        WHERE l.key = g.lake_key
      )
      SELECT count(*) INTO removed FROM gone;
      EXECUTE r.definition;
    END;
  END LOOP;
  DELETE FROM public.quotes_deferred_indexes;
  RETURN removed;
END
$$;

CREATE OR REPLACE FUNCTION coinlake_empty_lake_derived_tables()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  TRUNCATE public.quotes, public.candles_hourly, public.candles_daily, public.candles_pending,
           public.asset_names_pending, public.assets_pending, public.asset_names, public.assets,
           public.global_metrics, public.lake_objects;
END
$$;
