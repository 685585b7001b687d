-- coinlake schema, version 21: quotes are partitioned by ISO week (Monday 00:00 UTC to the next
-- Monday) instead of by month, and retention drops a partition whatever its range (issue #25).
-- A 90-day retention kept up to ~121 days of quotes with month partitions (a month goes only once
-- all of it is beyond the retention); with weeks it keeps at most 97.
--
-- The monthly partitions a deployed database has stay as they are: a week that overlaps an
-- existing partition gets a partition for the part not covered only (the week straddling the
-- last month's end starts at that month's end). The bounds are read from the catalog, never
-- from names, so retention, audit and the dashboard treat a month and a week alike.

-- Every partition of quotes with its range [range_start, range_end), from the catalog. A
-- partition bounded by MINVALUE/MAXVALUE gives -infinity/infinity; a DEFAULT partition is left
-- out (it has no range). Not SECURITY DEFINER: the catalog is readable by every role. The
-- DateStyle and TimeZone are pinned so that the bound's text parses back as it was printed.
CREATE FUNCTION coinlake_quote_partitions()
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz)
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp
SET datestyle = 'ISO, YMD' SET timezone = 'UTC' AS $$
  SELECT c.relname::text,
         CASE WHEN b[1] = 'MINVALUE' THEN '-infinity'::timestamptz
              ELSE btrim(b[1], '''')::timestamptz END,
         CASE WHEN b[2] = 'MAXVALUE' THEN 'infinity'::timestamptz
              ELSE btrim(b[2], '''')::timestamptz END
  FROM pg_catalog.pg_inherits i
  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
  CROSS JOIN LATERAL regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                                  '^FOR VALUES FROM \((.*)\) TO \((.*)\)$') AS b
  WHERE i.inhparent = 'public.quotes'::regclass AND b IS NOT NULL
  ORDER BY 2
$$;
COMMENT ON FUNCTION coinlake_quote_partitions() IS 'The partitions of quotes and their ranges [range_start, range_end), read from the catalog, oldest first (retention, audit, the dashboard). Monthly partitions of a database older than migration 21 and weekly ones alike.';

-- Creates the weekly partitions covering [from_ts, to_ts]: one per ISO week, named after the day
-- it starts (quotes_wYYYY_MM_DD), less any part of the week an existing partition covers.
CREATE OR REPLACE FUNCTION coinlake_ensure_quote_partitions(from_ts timestamptz, to_ts timestamptz)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  week_start  timestamptz := date_trunc('week', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  last_week   timestamptz := date_trunc('week', to_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  week_end    timestamptz;
  piece_start timestamptz;
  piece_end   timestamptz;
  covered_end timestamptz;
  part_name   text;
  retries     integer := 0;
BEGIN
  WHILE week_start <= last_week LOOP
    week_end := week_start + interval '7 days';
    piece_start := week_start;
    WHILE piece_start < week_end LOOP
      -- Each statement reads the catalog afresh: a partition another caller committed meanwhile
      -- is seen on the next pass.
      SELECT p.range_end INTO covered_end FROM public.coinlake_quote_partitions() p
      WHERE p.range_start <= piece_start AND p.range_end > piece_start;
      IF covered_end IS NOT NULL THEN
        piece_start := covered_end;
        retries := 0;
        CONTINUE;
      END IF;
      SELECT least(week_end, min(p.range_start)) INTO piece_end
      FROM public.coinlake_quote_partitions() p
      WHERE p.range_start > piece_start AND p.range_start < week_end;
      part_name := format('quotes_w%s', to_char(piece_start AT TIME ZONE 'UTC', 'YYYY_MM_DD'));
      BEGIN
        EXECUTE format(
          'CREATE TABLE public.%I PARTITION OF public.quotes FOR VALUES FROM (%L) TO (%L)',
          part_name, piece_start, piece_end);
        EXECUTE format('COMMENT ON TABLE public.%I IS %L', part_name,
                       format('Quotes from %s to %s (a partition of quotes).',
                              to_char(piece_start AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                              to_char(piece_end AT TIME ZONE 'UTC', 'YYYY-MM-DD')));
        piece_start := piece_end;
        retries := 0;
      EXCEPTION WHEN duplicate_table OR unique_violation OR invalid_object_definition THEN
        -- Two loaders raced to create the same piece (duplicate), or another caller's partition
        -- now overlaps it: read the catalog again. A piece that keeps failing is an error.
        retries := retries + 1;
        IF retries > 10 THEN
          RAISE;
        END IF;
      END;
    END LOOP;
    week_start := week_end;
  END LOOP;
END $$;
COMMENT ON FUNCTION coinlake_ensure_quote_partitions(timestamptz, timestamptz) IS 'Creates the weekly quotes partitions (ISO weeks, quotes_wYYYY_MM_DD after the day each starts) covering the range, less what an existing partition (a monthly one of a database older than migration 21) covers; called by the loader and by migrate (the weeks of the month ahead). Callable by coinlake_writer only.';

-- Retention takes a partition by the start of its range (read from the catalog), whatever its
-- length: the month-only functions of 0015 go.
DROP FUNCTION coinlake_quotes_lock_partition(date);
DROP FUNCTION coinlake_quotes_drop_partition(date);

-- Locks the partition starting at range_start against writes (SHARE: loads wait, readers do not)
-- for the rest of the caller's transaction, so the rows it then verifies are the rows it drops.
-- Returns the partition's name, or NULL when no partition starts there.
CREATE FUNCTION coinlake_quotes_lock_partition(range_start timestamptz)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  part_name text;
BEGIN
  SELECT p.partition_name INTO part_name FROM public.coinlake_quote_partitions() p
  WHERE p.range_start = coinlake_quotes_lock_partition.range_start;
  IF part_name IS NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE format('LOCK TABLE public.%I IN SHARE MODE', part_name);
  RETURN part_name;
END
$$;
COMMENT ON FUNCTION coinlake_quotes_lock_partition(timestamptz) IS 'Locks the quotes partition whose range starts at the given time against writes until the transaction ends; returns its name, NULL if there is none (coinlake retention, before it verifies the partition). Callable by coinlake_writer only.';

-- Detaches and drops the partition starting at range_start, in the caller's transaction. Refuses
-- a partition whose range has not ended: retention only ever removes the past.
CREATE FUNCTION coinlake_quotes_drop_partition(range_start timestamptz)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  part_name text;
  part_end  timestamptz;
BEGIN
  SELECT p.partition_name, p.range_end INTO part_name, part_end
  FROM public.coinlake_quote_partitions() p
  WHERE p.range_start = coinlake_quotes_drop_partition.range_start;
  IF part_name IS NULL THEN
    RETURN false;
  END IF;
  IF part_end > now() THEN
    RAISE EXCEPTION 'the partition % (up to %) has not ended: it stays', part_name, part_end;
  END IF;
  EXECUTE format('ALTER TABLE public.quotes DETACH PARTITION public.%I', part_name);
  EXECUTE format('DROP TABLE public.%I', part_name);
  RETURN true;
END
$$;
COMMENT ON FUNCTION coinlake_quotes_drop_partition(timestamptz) IS 'Detaches and drops the quotes partition whose (ended) range starts at the given time, in the caller''s transaction; false if there is none (coinlake retention, after it verified the partition against the lake''s manifests). Callable by coinlake_writer only.';

REVOKE EXECUTE ON FUNCTION coinlake_quotes_lock_partition(timestamptz),
  coinlake_quotes_drop_partition(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coinlake_quotes_lock_partition(timestamptz),
  coinlake_quotes_drop_partition(timestamptz) TO coinlake_writer;

-- The dropped partitions by their range: a month's row ends a month after it starts.
ALTER TABLE quotes_retention_dropped RENAME COLUMN month TO range_start;
ALTER TABLE quotes_retention_dropped
  ALTER COLUMN range_start TYPE timestamptz USING (range_start::timestamp AT TIME ZONE 'UTC'),
  ADD COLUMN range_end timestamptz,
  ADD COLUMN partition_name text;
UPDATE quotes_retention_dropped SET range_end = range_start + interval '1 month',
  partition_name = 'quotes_' || to_char(range_start AT TIME ZONE 'UTC', 'YYYY_MM');
ALTER TABLE quotes_retention_dropped ALTER COLUMN range_end SET NOT NULL,
  ALTER COLUMN partition_name SET NOT NULL,
  ADD CHECK (range_end > range_start);
-- A range dropped, made again by a smaller partition (a backfill) and dropped again is a row of
-- its own: the first row still says the rest of the range is the lake's.
ALTER TABLE quotes_retention_dropped DROP CONSTRAINT quotes_retention_dropped_pkey,
  ADD PRIMARY KEY (range_start, range_end);
COMMENT ON TABLE quotes_retention_dropped IS 'One row per quotes partition (a week, or a month of a database older than migration 21) that coinlake retention dropped, after proving every day of it compacted in the lake with checksums equal to the database''s rows. audit expects those quotes in the lake, not in the database, unless a partition covers their time again.';
COMMENT ON COLUMN quotes_retention_dropped.range_start IS 'Start of the dropped partition''s range (inclusive).';
COMMENT ON COLUMN quotes_retention_dropped.range_end IS 'End of the dropped partition''s range (exclusive).';
COMMENT ON COLUMN quotes_retention_dropped.partition_name IS 'The dropped partition''s name (quotes_wYYYY_MM_DD, quotes_YYYY_MM).';
COMMENT ON COLUMN quotes_retention_dropped.days IS 'Days verified against their Parquet manifest for the partition''s rows.';

ALTER TABLE quotes_retention_status RENAME COLUMN blocked_month TO blocked_start;
ALTER TABLE quotes_retention_status
  ALTER COLUMN blocked_start TYPE timestamptz USING (blocked_start::timestamp AT TIME ZONE 'UTC'),
  ADD COLUMN blocked_end timestamptz;
UPDATE quotes_retention_status SET blocked_end = blocked_start + interval '1 month'
WHERE blocked_start IS NOT NULL;
COMMENT ON TABLE quotes_retention_status IS 'The last run of coinlake retention (or of its step in coinlake run): what it dropped, and why a partition stayed. One row.';
COMMENT ON COLUMN quotes_retention_status.boundary IS 'Quotes before this time are beyond retention: a partition ending at or before it may be dropped. NULL when retention is off.';
COMMENT ON COLUMN quotes_retention_status.dropped IS 'Partitions that run dropped (their names).';
COMMENT ON COLUMN quotes_retention_status.blocked_start IS 'Start of the oldest partition beyond retention that stayed, NULL if none.';
COMMENT ON COLUMN quotes_retention_status.blocked_end IS 'End (exclusive) of that partition, NULL if none.';
COMMENT ON COLUMN quotes_retention_status.blocked_reason IS 'Why that partition stayed: the day and the mismatch (not compacted, a checksum that differs).';

COMMENT ON TABLE quotes IS 'One row per (coin, quote currency, quote time): the price history. Partitioned by ISO week of ts (monthly partitions of a database older than migration 21 stay); partitions are created ahead by coinlake_ensure_quote_partitions() and dropped past the retention by coinlake retention.';
