-- The SQL of GET /api/v1/series?ids=1&range=24h&width=500 (src/dashboard/api_market.cc,
-- Series), parameters inlined: ids {1}, USD, the last 24 hours of the generated data
-- (:to_s is set by the caller), bucket 173 s.
SELECT cmc_id, (floor((extract(epoch FROM ts) - (:to_s - 86400)) / 173))::bigint AS b,
       extract(epoch FROM max(ts)),
       (array_agg(price ORDER BY ts DESC))[1], min(price), max(price),
       (array_agg(volume_24h ORDER BY ts DESC))[1], (array_agg(market_cap ORDER BY ts DESC))[1],
       count(*)
FROM quotes
WHERE cmc_id = ANY('{1}'::bigint[]) AND quote_currency = 'USD'
  AND ts >= to_timestamp(:to_s - 86400) AND ts <= to_timestamp(:to_s)
GROUP BY 1, 2 ORDER BY 1, 2;
