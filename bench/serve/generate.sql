-- 10 million quote rows: 2000 coins x 5000 snapshots five minutes apart (about 17 days ending
-- now), with the assets and the ledger rows the dashboard's queries join.
\set coins 2000
\set snapshots 5000
SELECT coinlake_ensure_quote_partitions(now() - interval '18 days', now());
INSERT INTO assets (cmc_id, symbol, name, slug, first_seen, last_seen)
SELECT i, 'C' || i, 'Coin ' || i, 'coin-' || i, now() - interval '18 days', now()
FROM generate_series(1, :coins) i;
CREATE TEMP TABLE snaps AS
SELECT s, date_trunc('minute', now()) - (:snapshots - 1 - s) * interval '5 minutes' AS ts
FROM generate_series(0, :snapshots - 1) s;
INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows)
SELECT 'raw/cmc/listings_latest/bench_' || s, 'x', 1, 'listings_latest', ts, :coins FROM snaps;
INSERT INTO quotes (cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, volume_24h,
                    market_cap, percent_change_1h, percent_change_24h, percent_change_7d,
                    circulating_supply, lake_object_id)
SELECT c, 'USD', sn.ts, sn.ts, c,
       (100000.0 / c) * (1 + 0.05 * sin(sn.s / 40.0 + c)),
       1e9 / c, 1e12 / c * (1 + 0.05 * sin(sn.s / 40.0 + c)),
       sin(c + sn.s), 2 * sin(c * 2 + sn.s), 5 * sin(c * 3 + sn.s), 1e7, l.id
FROM snaps sn JOIN lake_objects l ON l.key = 'raw/cmc/listings_latest/bench_' || sn.s
CROSS JOIN generate_series(1, :coins) c;
ANALYZE;
