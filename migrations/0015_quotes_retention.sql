-- coinlake schema, version 15: retention of raw quotes (`coinlake retention`, docs/database.md,
-- "Retention"). A month's partition of quotes may be dropped once every day of it is compacted
-- into the lake's Parquet layer and each manifest's checksum equals the database's rows. The
-- ETL's role owns no table, so detaching and dropping go through SECURITY DEFINER functions that
-- only coinlake_writer may call (as in 0009), with the search_path rule of 0013. Candles and
-- global metrics are never dropped.

-- Locks a month's partition against writes (SHARE: loads wait, readers do not) for the rest of
-- the caller's transaction, so the rows it then verifies are the rows it drops. Returns the
-- partition's name, or NULL when the month has no partition.
CREATE FUNCTION coinlake_quotes_lock_partition(month date)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  part_name text := format('quotes_%s', to_char(month, 'YYYY_MM'));
BEGIN
  IF month <> date_trunc('month', month)::date THEN
    RAISE EXCEPTION 'not the first day of a month: %', month;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits
                 WHERE inhrelid = to_regclass(format('public.%I', part_name))
                   AND inhparent = 'public.quotes'::regclass) THEN
    RETURN NULL;
  END IF;
  EXECUTE format('LOCK TABLE public.%I IN SHARE MODE', part_name);
  RETURN part_name;
END
$$;
COMMENT ON FUNCTION coinlake_quotes_lock_partition(date) IS 'Locks the quotes partition of the month starting on the given day against writes until the transaction ends; returns its name, NULL if there is none (coinlake retention, before it verifies the month). Callable by coinlake_writer only.';

-- Detaches and drops a month's partition, in the caller's transaction. Refuses a month that has
-- not ended: retention only ever removes the past.
CREATE FUNCTION coinlake_quotes_drop_partition(month date)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  part_name text := format('quotes_%s', to_char(month, 'YYYY_MM'));
BEGIN
  IF month <> date_trunc('month', month)::date THEN
    RAISE EXCEPTION 'not the first day of a month: %', month;
  END IF;
  IF (month + interval '1 month')::timestamp AT TIME ZONE 'UTC' > now() THEN
    RAISE EXCEPTION 'the month of % has not ended: its partition stays', month;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits
                 WHERE inhrelid = to_regclass(format('public.%I', part_name))
                   AND inhparent = 'public.quotes'::regclass) THEN
    RETURN false;
  END IF;
  EXECUTE format('ALTER TABLE public.quotes DETACH PARTITION public.%I', part_name);
  EXECUTE format('DROP TABLE public.%I', part_name);
  RETURN true;
END
$$;
COMMENT ON FUNCTION coinlake_quotes_drop_partition(date) IS 'Detaches and drops the quotes partition of the (ended) month starting on the given day, in the caller''s transaction; false if there is none (coinlake retention, after it verified the month against the lake''s manifests). Callable by coinlake_writer only.';

REVOKE EXECUTE ON FUNCTION coinlake_quotes_lock_partition(date),
  coinlake_quotes_drop_partition(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coinlake_quotes_lock_partition(date),
  coinlake_quotes_drop_partition(date) TO coinlake_writer;

-- The months retention dropped: their quotes live in the lake only (curated/quotes/), and
-- `audit` expects them there, not in the database.
CREATE TABLE quotes_retention_dropped (
  month       date PRIMARY KEY,
  dropped_at  timestamptz NOT NULL,
  rows        bigint NOT NULL,
  days        integer NOT NULL,
  objects     integer NOT NULL
);
COMMENT ON TABLE quotes_retention_dropped IS 'One row per month whose quotes partition coinlake retention dropped, after proving every day of it compacted in the lake with checksums equal to the database''s rows. audit expects those quotes in the lake, not in the database.';
COMMENT ON COLUMN quotes_retention_dropped.month IS 'First day of the month (UTC) whose partition (quotes_YYYY_MM) was dropped.';
COMMENT ON COLUMN quotes_retention_dropped.dropped_at IS 'When the partition was dropped.';
COMMENT ON COLUMN quotes_retention_dropped.rows IS 'Quote rows the partition held.';
COMMENT ON COLUMN quotes_retention_dropped.days IS 'Days of the month that had quote rows, each verified against its Parquet manifest.';
COMMENT ON COLUMN quotes_retention_dropped.objects IS 'Lake objects whose rows were verified against the manifests before the drop.';

-- The last retention run, for the pipeline page: one row.
CREATE TABLE quotes_retention_status (
  id              boolean PRIMARY KEY DEFAULT true CHECK (id),
  run_at          timestamptz NOT NULL,
  retention_days  integer NOT NULL,
  boundary        timestamptz,
  dropped         text[] NOT NULL DEFAULT '{}',
  blocked_month   date,
  blocked_reason  text,
  error           text
);
COMMENT ON TABLE quotes_retention_status IS 'The last run of coinlake retention (or of its step in coinlake run): what it dropped, and why a month stayed. One row.';
COMMENT ON COLUMN quotes_retention_status.id IS 'Always true: the table holds one row.';
COMMENT ON COLUMN quotes_retention_status.run_at IS 'When the run ended.';
COMMENT ON COLUMN quotes_retention_status.retention_days IS 'The retention it applied, in days (0: keep quotes forever; nothing is dropped).';
COMMENT ON COLUMN quotes_retention_status.boundary IS 'Quotes before this time are beyond retention: a month ending at or before it may be dropped. NULL when retention is off.';
COMMENT ON COLUMN quotes_retention_status.dropped IS 'Partitions that run dropped (quotes_YYYY_MM).';
COMMENT ON COLUMN quotes_retention_status.blocked_month IS 'The oldest month beyond retention that stayed, NULL if none.';
COMMENT ON COLUMN quotes_retention_status.blocked_reason IS 'Why that month stayed: the day and the mismatch (not compacted, a checksum that differs).';
COMMENT ON COLUMN quotes_retention_status.error IS 'The error that stopped the run (the lake or the database unreachable), NULL if none.';

GRANT SELECT, INSERT, UPDATE ON quotes_retention_dropped, quotes_retention_status TO coinlake_writer;
GRANT SELECT ON quotes_retention_dropped, quotes_retention_status TO coinlake_reader;
