-- The SQL of GET /api/v1/latest?limit=100 (src/dashboard/api.cc, Latest), parameters inlined:
-- $1 = 'USD', $2 = 100.
WITH snap AS (SELECT max(data_ts) FROM lake_objects WHERE endpoint = 'listings_latest')
SELECT q.cmc_id, a.symbol, a.name, a.slug, q.cmc_rank, q.price, q.market_cap,
       q.volume_24h, q.percent_change_1h, q.percent_change_24h, q.percent_change_7d,
       q.circulating_supply, q.ts, q.snapshot_ts
FROM quotes q JOIN assets a USING (cmc_id), snap
WHERE q.snapshot_ts = snap.max AND q.quote_currency = 'USD'
  AND q.ts > snap.max - interval '1 day' AND q.ts <= snap.max
ORDER BY q.cmc_rank ASC NULLS LAST, q.cmc_id
LIMIT 100;
