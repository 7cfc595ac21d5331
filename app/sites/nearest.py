"""Exact geodesic nearest and radius searches over a point table, served by its geometry GiST index."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from shapely.geometry import Point
from sqlalchemy import RowMapping, TextClause, text
from sqlalchemy.orm import Session

from ..geo import ewkt
from .tablesql import Condition, where

_SQL = Path(__file__).with_name("sql") / "nearest.sql"


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
) -> list[RowMapping]:
    """Return rows skip+1..skip+limit of table by spheroid distance in metres from origin (EPSG:4326).

    With knn the candidates come from the GiST KNN walk (optionally capped at max_m metres); without
    it, every row within max_m metres is ranked, so max_m is then required.
    """
    if not knn and max_m is None:
        raise ValueError("a radius search needs max_m")
    filters, params = where(conditions)
    params.update(origin=ewkt(origin), use_knn=knn, k=skip + limit, max_m=max_m, skip=skip)
    return list(session.execute(nearest_statement(table, columns, filters), params).mappings())
