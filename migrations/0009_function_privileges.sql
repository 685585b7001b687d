-- coinlake schema, version 9: who may call the SECURITY DEFINER functions. PostgreSQL lets
-- PUBLIC execute a new function, so the dashboard's read-only role could create partitions or
-- drop the quotes indexes through them. Only the ETL's writer role may now, and it gets the one
-- more right `reprocess --force` needs: emptying the tables derived from the lake, which it
-- cannot TRUNCATE itself (it owns none of them).

CREATE FUNCTION coinlake_empty_lake_derived_tables()
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  TRUNCATE quotes, candles_hourly, candles_daily, candles_pending, asset_names_pending,
           assets_pending, asset_names, assets, global_metrics, lake_objects;
END
$$;
COMMENT ON FUNCTION coinlake_empty_lake_derived_tables() IS 'Empties every table derived from the lake, and the ledger, in the caller''s transaction (reprocess --force, before it loads the lake again). Callable by coinlake_writer only.';

REVOKE EXECUTE ON FUNCTION coinlake_empty_lake_derived_tables(),
  coinlake_ensure_quote_partitions(timestamptz, timestamptz),
  coinlake_quotes_defer_indexes(), coinlake_quotes_restore_indexes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coinlake_empty_lake_derived_tables(),
  coinlake_ensure_quote_partitions(timestamptz, timestamptz),
  coinlake_quotes_defer_indexes(), coinlake_quotes_restore_indexes() TO coinlake_writer;
