-- The statement GET /api/v1/series?ids=1&from=..&to=..&width=500 prepares and runs
-- (src/dashboard/api_market.cc, kSeriesSql). Its parameters are pgbench variables: ids ({1}),
-- currency (USD), from_s and to_s (the last 24 hours of the generated data), bucket (173 s).
SELECT i.id, a.symbol, a.name, a.slug, p.t, p.epoch, p.price, p.min, p.max, p.volume_24h,
       p.market_cap, p.samples
FROM unnest(:ids::bigint[]) WITH ORDINALITY AS i (id, n)
LEFT JOIN LATERAL (SELECT symbol, name, slug FROM assets WHERE cmc_id = i.id OFFSET 0) a ON true
LEFT JOIN LATERAL (
  SELECT DISTINCT ON (b) ts AS t, floor(date_part('epoch', ts))::bigint AS epoch, price,
         min(price) OVER w AS min, max(price) OVER w AS max, volume_24h, market_cap,
         count(*) OVER w AS samples
  FROM (SELECT floor((date_part('epoch', ts) - :from_s::float8) / :bucket::float8) AS b, ts,
               price, volume_24h, market_cap
        FROM quotes
        WHERE cmc_id = i.id AND quote_currency = :currency
          AND ts >= to_timestamp(:from_s::float8) AND ts <= to_timestamp(:to_s::float8)) x
  WINDOW w AS (PARTITION BY b ORDER BY ts DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
  ORDER BY b, ts DESC) p ON true
ORDER BY i.n, p.t;
