#!/usr/bin/env python3
"""The seed design's loader, as the benchmark's baseline: stdlib json + psycopg2 COPY.

Walks raw/cmc/listings_latest/ under LAKE_DIR, parses each gzip'd response with `json`,
flattens it to CSV and COPYs it into `quotes`, with its lake_objects row, one transaction per
object. Usage: reprocess_python.py LAKE_DIR DATABASE_URL
"""
import gzip
import hashlib
import io
import json
import os
import sys

import psycopg2

COLUMNS = ("cmc_id, quote_currency, ts, snapshot_ts, cmc_rank, price, volume_24h, "
           "volume_change_24h, market_cap, market_cap_dominance, fully_diluted_market_cap, "
           "percent_change_1h, percent_change_24h, percent_change_7d, percent_change_30d, "
           "percent_change_60d, percent_change_90d, circulating_supply, total_supply, "
           "max_supply, num_market_pairs, lake_object_id")


def n(v):
    return "" if v is None else str(v)


def main():
    lake, url = sys.argv[1], sys.argv[2]
    conn = psycopg2.connect(url)
    root = os.path.join(lake, "raw/cmc/listings_latest")
    rows = 0
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if not name.endswith(".json.gz"):
                continue
            path = os.path.join(dirpath, name)
            key = os.path.relpath(path, lake)
            stored = open(path, "rb").read()
            body = json.loads(gzip.decompress(stored))
            snap = body["status"]["timestamp"]
            with conn.cursor() as cur:
                cur.execute("INSERT INTO lake_objects (key, sha256, size, endpoint, data_ts, rows)"
                            " VALUES (%s, %s, %s, 'listings_latest', %s, %s) RETURNING id",
                            (key, hashlib.sha256(stored).hexdigest(), len(stored), snap,
                             len(body["data"])))
                object_id = str(cur.fetchone()[0])
            out = io.StringIO()
            for c in body["data"]:
                for cur, q in c["quote"].items():
                    out.write(",".join([
                        str(c["id"]), cur, q["last_updated"], snap, n(c.get("cmc_rank")),
                        n(q.get("price")), n(q.get("volume_24h")), n(q.get("volume_change_24h")),
                        n(q.get("market_cap")), n(q.get("market_cap_dominance")),
                        n(q.get("fully_diluted_market_cap")), n(q.get("percent_change_1h")),
                        n(q.get("percent_change_24h")), n(q.get("percent_change_7d")),
                        n(q.get("percent_change_30d")), n(q.get("percent_change_60d")),
                        n(q.get("percent_change_90d")), n(c.get("circulating_supply")),
                        n(c.get("total_supply")), n(c.get("max_supply")),
                        n(c.get("num_market_pairs")), object_id]) + "\n")
                    rows += 1
            out.seek(0)
            with conn.cursor() as cur:
                cur.copy_expert(f"COPY quotes ({COLUMNS}) FROM STDIN WITH (FORMAT csv)", out)
            conn.commit()
    print(rows)


if __name__ == "__main__":
    main()
