#!/usr/bin/env python3
"""Baseline: Python's stdlib json + flattening of a listings payload into quote rows.

Mirrors what the seed design did (json.loads, then one flat dict per coin and currency).
Timed in process CPU time, like Google Benchmark's rates, so a busy machine does not skew it.
Prints one JSON line: {"mb_per_s": ..., "rows_per_s": ..., "rows": ...}.
"""
import json
import sys
import time

FIELDS = ("price", "volume_24h", "volume_change_24h", "market_cap", "market_cap_dominance",
          "fully_diluted_market_cap", "percent_change_1h", "percent_change_24h",
          "percent_change_7d", "percent_change_30d", "percent_change_60d", "percent_change_90d",
          "last_updated")


def flatten(doc):
    rows = []
    for coin in doc["data"]:
        for currency, q in coin["quote"].items():
            row = {
                "cmc_id": coin["id"], "symbol": coin.get("symbol"), "name": coin.get("name"),
                "slug": coin.get("slug"), "quote_currency": currency,
                "cmc_rank": coin.get("cmc_rank"), "num_market_pairs": coin.get("num_market_pairs"),
                "circulating_supply": coin.get("circulating_supply"),
                "total_supply": coin.get("total_supply"), "max_supply": coin.get("max_supply"),
                "date_added": coin.get("date_added"),
            }
            for f in FIELDS:
                row[f] = q.get(f)
            rows.append(row)
    return rows


def main():
    body = open(sys.argv[1], "rb").read()
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    runs, rows, start = 0, 0, time.process_time()
    while True:
        rows = len(flatten(json.loads(body)))
        runs += 1
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            break
    print(json.dumps({"mb_per_s": runs * len(body) / elapsed / 1e6,
                      "rows_per_s": runs * rows / elapsed, "rows": rows}))


if __name__ == "__main__":
    main()
