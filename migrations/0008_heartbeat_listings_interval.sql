-- coinlake schema, version 8: the ETL's listings interval in its heartbeat. The dashboard's gaps
-- are the schedule's slots with no snapshot; with the interval fixed at 5 minutes, a 10-minute
-- schedule showed every other slot as a gap and a 1-minute one hid missed snapshots.
ALTER TABLE pipeline_heartbeat ADD COLUMN listings_interval_seconds integer;
COMMENT ON COLUMN pipeline_heartbeat.listings_interval_seconds IS 'Seconds between the listings snapshots this ETL host takes (its --interval or configuration); NULL when it does not take listings or predates this column.';
