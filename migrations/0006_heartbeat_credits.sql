-- The CoinMarketCap plan as the ETL's credit governor last saw it, so the dashboard's pipeline
-- page can say how many credits are left this month (the runs table only knows what coinlake
-- spent; CMC's own count, from /v1/key/info, includes every other use of the key).

ALTER TABLE pipeline_heartbeat
  ADD COLUMN credits_plan_month bigint,
  ADD COLUMN credits_used_month bigint,
  ADD COLUMN credits_reset_at   timestamptz;
COMMENT ON COLUMN pipeline_heartbeat.credits_plan_month IS 'Credits the CoinMarketCap plan allows per month (from /v1/key/info). NULL until the ETL has read its key info.';
COMMENT ON COLUMN pipeline_heartbeat.credits_used_month IS 'Credits used this month as CMC counts them (key info, plus status.credit_count of every call since). NULL until the ETL has read its key info.';
COMMENT ON COLUMN pipeline_heartbeat.credits_reset_at IS 'When the plan''s monthly credits reset, as CMC reported it (NULL: not reported; CMC resets on the 1st, UTC).';
