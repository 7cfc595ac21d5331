"""Reference for the throughput benchmark: the smallest Flask + psycopg2 app serving the nearby query.

It runs the very statement Hongtu's nearby search sends (captured by the bench runner and handed over
in the JSON file named by HONGTU_MINIMAL_QUERY), on one psycopg2 connection per worker, with no ORM,
no pool and no response shaping beyond a FeatureCollection. Served by gunicorn with the same settings
as Hongtu in `make bench`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg2
from flask import Flask, request

QUERY = json.loads(Path(os.environ["HONGTU_MINIMAL_QUERY"]).read_text(encoding="utf-8"))

app = Flask(__name__)
_connection: list = []


def connection():
    """Return this worker's connection, opened on first use (after gunicorn forks)."""
    if not _connection:
        conn = psycopg2.connect(os.environ["DATABASE_URL"])
        conn.autocommit = True
        _connection.append(conn)
    return _connection[0]


@app.get("/nearby")
def nearby():
    lon, lat = float(request.args["lon"]), float(request.args["lat"])
    params = {**QUERY["params"], "origin": f"SRID=4326;POINT({lon!r} {lat!r})"}
    with connection().cursor() as cursor:
        cursor.execute(QUERY["statement"], params)
        names = [d.name for d in cursor.description]
        rows = cursor.fetchall()
    features = [
        {"type": "Feature", "geometry": None, "properties": dict(zip(names, row, strict=True))}
        for row in rows
    ]
    return app.response_class(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, default=str),
        mimetype="application/geo+json",
    )
