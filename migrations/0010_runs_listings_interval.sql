-- coinlake schema, version 10: each cycle records the listings interval it ran under. audit
-- judged a whole range by the interval in the newest heartbeat, so after a schedule change the
-- older part of the history showed false gaps (a 10-minute past audited as 5 minutes).
ALTER TABLE runs ADD COLUMN listings_interval_seconds integer;
COMMENT ON COLUMN runs.listings_interval_seconds IS 'Seconds between listings snapshots in the schedule this cycle ran under (coinlake run); NULL for a one-off fetch, a schedule without listings, or a cycle from before this column.';
