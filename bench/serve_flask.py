"""The baseline for bench/serve_bench.sh: the seed design's Flask + psycopg2 endpoints running
the same SQL as coinlake's /api/v1/latest and /api/v1/series (bench/serve/*.sql), one
connection per worker process, under gunicorn."""
import os
import pathlib

import psycopg2
from flask import Flask, jsonify

HERE = pathlib.Path(__file__).resolve().parent
LATEST_SQL = (HERE / "serve" / "latest.sql").read_text()
SERIES_SQL = (HERE / "serve" / "series.sql").read_text().replace(":to_s", "%(to_s)s")
TO_S = int(os.environ["BENCH_TO_S"])

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
        cur.execute(LATEST_SQL)
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
        cur.execute(SERIES_SQL, {"to_s": TO_S})
        rows = cur.fetchall()
    points = [{"t": float(r[2]), "price": r[3], "min": r[4], "max": r[5], "volume_24h": r[6],
               "market_cap": r[7], "samples": r[8]} for r in rows]
    return jsonify({"series": [{"cmc_id": 1, "points": points}]})
