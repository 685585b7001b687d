"""The baseline for bench/serve_bench.sh: the seed design's Flask + psycopg2 endpoints running
the same SQL as coinlake's /api/v1/latest and /api/v1/series (bench/serve/*.sql, whose pgbench
variables become psycopg2 parameters), one connection per worker process, under gunicorn."""
import os
import pathlib
import re

import psycopg2
from flask import Flask, jsonify

HERE = pathlib.Path(__file__).resolve().parent


def statement(name):
    text = (HERE / "serve" / name).read_text()
    return re.sub(r"(?<!:):([a-z_]+)", r"%(\1)s", text)


LATEST_SQL = statement("latest.sql")
SERIES_SQL = statement("series.sql")
TO_S = int(os.environ["BENCH_TO_S"])
LATEST_PARAMS = {"currency": "USD", "limit": 100}
SERIES_PARAMS = {"ids": "{1}", "currency": "USD", "from_s": TO_S - 86400, "to_s": TO_S,
                 "bucket": 173}

app = Flask(__name__)
_conn = None


def cursor():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg2.connect(os.environ["COINLAKE_DATABASE_URL"])
        _conn.set_session(readonly=True, autocommit=True)
    return _conn.cursor()


def iso(ts):
    return ts.isoformat() if ts is not None else None


@app.get("/api/v1/latest")
def latest():
    with cursor() as cur:
        cur.execute(LATEST_SQL, LATEST_PARAMS)
        rows = cur.fetchall()
    data = [{"cmc_id": r[0], "symbol": r[1], "name": r[2], "slug": r[3], "rank": r[4],
             "price": r[5], "market_cap": r[6], "volume_24h": r[7], "percent_change_1h": r[8],
             "percent_change_24h": r[9], "percent_change_7d": r[10],
             "circulating_supply": r[11], "last_updated": iso(r[12])} for r in rows]
    return jsonify({"currency": "USD", "snapshot": iso(rows[0][13]) if rows else None,
                    "count": len(data), "data": data})


@app.get("/api/v1/series")
def series():
    with cursor() as cur:
        cur.execute(SERIES_SQL, SERIES_PARAMS)
        rows = cur.fetchall()
    points = [{"t": iso(r[4]), "price": r[6], "min": r[7], "max": r[8], "volume_24h": r[9],
               "market_cap": r[10], "samples": r[11]} for r in rows if r[4] is not None]
    first = rows[0] if rows else (1, None, None, None)
    return jsonify({"series": [{"cmc_id": first[0], "symbol": first[1], "name": first[2],
                                "slug": first[3], "points": points}]})
