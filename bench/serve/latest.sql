-- The statement GET /api/v1/latest?limit=100 prepares and runs (src/dashboard/api.cc, Latest).
-- Its parameters are pgbench variables: currency (USD) and limit (100).
SELECT q.cmc_id, a.symbol, a.name, a.slug, q.cmc_rank, q.price, q.market_cap,
       q.volume_24h, q.percent_change_1h, q.percent_change_24h, q.percent_change_7d,
       q.circulating_supply, q.ts, q.snapshot_ts,
       EXISTS (SELECT 1 FROM lake_objects o WHERE o.endpoint = 'listings_latest' AND o.data_ts = (SELECT max(data_ts) FROM lake_objects WHERE endpoint = 'listings_latest' AND (rows > 0 OR carried_ids IS NOT NULL)) AND o.carried_ids IS NOT NULL)
FROM quotes q JOIN assets a USING (cmc_id)
WHERE q.snapshot_ts = (SELECT max(data_ts) FROM lake_objects WHERE endpoint = 'listings_latest' AND (rows > 0 OR carried_ids IS NOT NULL)) AND q.quote_currency = :currency
ORDER BY q.cmc_rank ASC NULLS LAST, q.cmc_id
LIMIT :limit;
