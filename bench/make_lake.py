#!/usr/bin/env python3
"""Writes a deterministic lake of CoinMarketCap listings responses for the loading benchmark.

Layout (docs/lake.md): <lake>/raw/cmc/listings_latest/dt=YYYY-MM-DD/
listings_latest_YYYY-MM-DDTHH-MM-SSZ.json.gz, one snapshot every 5 minutes from
2026-01-01T00:00:00Z, each with COINS coins quoted in USD, last_updated one minute before the
snapshot. Same arguments, same bytes (fixed seed, gzip mtime 0).

Usage: make_lake.py LAKE_DIR SNAPSHOTS COINS [CSV_FILE]
With CSV_FILE, also writes the same rows flattened as CSV in the quotes table's column order
(the input of the `psql \\copy` baseline); a row's lake_object_id is its snapshot's number from 1,
as a fresh load numbers the ledger.
"""
import datetime
import gzip
import json
import os
import random
import sys


def main():
    lake, snapshots, coins = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    csv_path = sys.argv[4] if len(sys.argv) > 4 else None
    rng = random.Random(42)
    prices = [10 ** rng.uniform(-4, 4) for _ in range(coins)]
    supply = [10 ** rng.uniform(6, 10) for _ in range(coins)]
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    csv = open(csv_path, "w") if csv_path else None
    for s in range(snapshots):
        now = start + datetime.timedelta(minutes=5 * s)
        updated = now - datetime.timedelta(minutes=1)
        iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        data = []
        for i in range(coins):
            prices[i] *= 1 + rng.gauss(0, 0.002)
            p = prices[i]
            cap = p * supply[i]
            data.append({
                "id": i + 1, "name": f"Coin {i + 1}", "symbol": f"C{i + 1}",
                "slug": f"coin-{i + 1}", "num_market_pairs": 1 + i % 500,
                "date_added": "2020-01-01T00:00:00.000Z", "tags": ["mineable"],
                "max_supply": None if i % 3 else supply[i] * 2,
                "circulating_supply": supply[i], "total_supply": supply[i],
                "infinite_supply": False, "platform": None, "cmc_rank": i + 1,
                "last_updated": iso(updated),
                "quote": {"USD": {
                    "price": p, "volume_24h": cap * 0.05, "volume_change_24h": -1.25,
                    "percent_change_1h": 0.1, "percent_change_24h": -0.5,
                    "percent_change_7d": 2.5, "percent_change_30d": 4.0,
                    "percent_change_60d": -6.0, "percent_change_90d": 9.5,
                    "market_cap": cap, "market_cap_dominance": 0.01,
                    "fully_diluted_market_cap": cap * 2, "tvl": None,
                    "last_updated": iso(updated)}}})
        body = {"status": {"timestamp": iso(now), "error_code": 0, "error_message": None,
                           "elapsed": 10, "credit_count": 25, "notice": None,
                           "total_count": coins}, "data": data}
        key = (f"raw/cmc/listings_latest/dt={now:%Y-%m-%d}/"
               f"listings_latest_{now:%Y-%m-%dT%H-%M-%SZ}.json.gz")
        path = os.path.join(lake, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(gzip.compress(json.dumps(body).encode(), compresslevel=6, mtime=0))
        if csv:
            for c in data:
                q = c["quote"]["USD"]
                n = lambda v: "" if v is None else repr(v)
                csv.write(",".join([
                    str(c["id"]), "USD", iso(updated), iso(now), str(c["cmc_rank"]),
                    n(q["price"]), n(q["volume_24h"]), n(q["volume_change_24h"]),
                    n(q["market_cap"]), n(q["market_cap_dominance"]),
                    n(q["fully_diluted_market_cap"]), n(q["percent_change_1h"]),
                    n(q["percent_change_24h"]), n(q["percent_change_7d"]),
                    n(q["percent_change_30d"]), n(q["percent_change_60d"]),
                    n(q["percent_change_90d"]), n(c["circulating_supply"]),
                    n(c["total_supply"]), n(c["max_supply"]), str(c["num_market_pairs"]),
                    str(s + 1)]) + "\n")
    if csv:
        csv.close()


if __name__ == "__main__":
    main()
