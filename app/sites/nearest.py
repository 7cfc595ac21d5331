"""Exact geodesic nearest and radius searches over a point table, served by its geometry GiST index."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shapely.geometry import Point
from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from ..db import fetch_rows
from ..geo import ewkt
from .tablesql import Condition, count_capped, where

_SQL = Path(__file__).with_name("sql") / "nearest.sql"


# Filters matching at most this many rows are ranked by brute force over their matches: the KNN walk
# would otherwise visit most of the index looking for rows that hardly exist (open now, at night).
FEW_MATCHES = 1000

RANK_FEW = """
SELECT {columns}, ST_Distance(t.geom::geography, CAST(:origin AS geography)) AS distance_m
FROM (SELECT * FROM {table} t WHERE {filters} OFFSET 0) AS t
WHERE CAST(:max_m AS float8) IS NULL OR ST_DWithin(t.geom::geography, CAST(:origin AS geography), :max_m)
ORDER BY distance_m, t.id
LIMIT :k - :skip OFFSET :skip
"""


@functools.cache
def _few_statement(table: str, columns: str, filters: str) -> TextClause:
    return text(RANK_FEW.format(table=table, columns=columns, filters=filters))


@functools.cache
def _template() -> str:
    # The header comment names the placeholders, so it is dropped before they are filled in.
    lines = _SQL.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("--"))


@functools.cache
def nearest_statement(table: str, columns: str, filters: str) -> TextClause:
    """Return the compiled nearest.sql for one of our tables, column list and filter text."""
    return text(_template().format(table=table, columns=columns, filters=filters))


def nearest_rows(
    session: Session,
    table: str,
    columns: str,
    conditions: Sequence[Condition],
    origin: Point,
    *,
    limit: int,
    skip: int = 0,
    max_m: float | None = None,
    knn: bool = True,
) -> list[dict[str, Any]]:
    """Return rows skip+1..skip+limit of table by spheroid distance in metres from origin (EPSG:4326).

    With knn the candidates come from the GiST KNN walk (optionally capped at max_m metres); without
    it, every row within max_m metres is ranked, so max_m is then required.
    """
    if not knn and max_m is None:
        raise ValueError("a radius search needs max_m")
    filters, params = where(conditions)
    params.update(origin=ewkt(origin), use_knn=knn, k=skip + limit, max_m=max_m, skip=skip)
    statement = nearest_statement(table, columns, filters)
    if knn and conditions and count_capped(session, table, conditions, FEW_MATCHES + 1) <= FEW_MATCHES:
        statement = _few_statement(table, columns, filters)
    # Unfiltered, the walk's plan is the same whatever the values, so the server keeps it (a prepared
    # statement); with filters the best plan may depend on their values, and it is planned each time.
    # The hottest read of the guide: rows straight off the driver's cursor (db.fetch_rows).
    names, rows = fetch_rows(session, statement, params, prepared=not conditions)
    return [dict(zip(names, row, strict=True)) for row in rows]
