"""Filtered pages and bounded counts over one of our point tables, from conditions we wrote ourselves."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import RowMapping, TextClause, text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Condition:
    """One SQL condition on the alias t, written by us, with its bound parameters."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Count:
    """A row count; is_estimate when it is the planner's estimate rather than an exact count."""

    total: int
    is_estimate: bool


def where(conditions: Sequence[Condition]) -> tuple[str, dict[str, Any]]:
    """Return the conditions joined with AND (TRUE when there are none) and their merged parameters."""
    params: dict[str, Any] = {}
    for cond in conditions:
        params.update(cond.params)
    sql = " AND ".join(f"({c.sql})" for c in conditions) or "TRUE"
    return sql, params


def _fenced(table: str, filters: str, few: bool) -> tuple[str, str]:
    """Return the FROM source and WHERE text, fencing the filters off when few rows match.

    With LIMIT, the planner likes to walk the index of the ORDER BY and filter as it goes, which
    reads the whole table when the filters match almost nothing.  When a count has shown that few rows
    match, OFFSET 0 keeps the filters in a subquery, served by their own indexes, sorted afterwards.
    """
    if not few:
        return table, filters
    return f"(SELECT * FROM {table} t WHERE {filters} OFFSET 0)", "TRUE"


@functools.cache
def _page_statement(table: str, columns: str, filters: str, order: str, few: bool = False) -> TextClause:
    source, condition = _fenced(table, filters, few)
    return text(
        f"SELECT {columns} FROM {source} t WHERE {condition} ORDER BY {order} LIMIT :limit OFFSET :offset"
    )


def select_page(
    session: Session,
    table: str,
    columns: str,
    conditions: Sequence[Condition],
    order: str,
    *,
    limit: int,
    offset: int = 0,
    params: dict[str, Any] | None = None,
    few: bool = False,
) -> list[RowMapping]:
    """Return one page of rows of table matching conditions in order (all three are our own SQL).

    few says a count found at most a few thousand matches (see _fenced).
    """
    filters, bound = where(conditions)
    bound.update(params or {}, limit=limit, offset=offset)
    return list(session.execute(_page_statement(table, columns, filters, order, few), bound).mappings())


@functools.cache
def _features_statement(table: str, feature: str, filters: str, order: str, few: bool = False) -> TextClause:
    # row_number() follows the page's own order, so json_agg keeps it without a second sort.
    source, condition = _fenced(table, filters, few)
    return text(
        f"SELECT coalesce(json_agg(p.feature ORDER BY p.n), '[]'::json)::text, count(*) FROM ("
        f"SELECT {feature} AS feature, row_number() OVER (ORDER BY {order}) AS n "
        f"FROM {source} t WHERE {condition} ORDER BY {order} LIMIT :limit OFFSET :offset) AS p"
    )


def select_page_features(
    session: Session,
    table: str,
    feature: str,
    conditions: Sequence[Condition],
    order: str,
    *,
    limit: int,
    offset: int = 0,
    params: dict[str, Any] | None = None,
    few: bool = False,
) -> tuple[str, int]:
    """Return one page of table as the JSON text of a GeoJSON features array, and its length.

    The array is assembled in PostGIS.

    feature is our SQL building one Feature from t (geometry by ST_AsGeoJSON, EPSG:4326); the text goes
    to the client as it is, so large pages never become Python objects.
    """
    filters, bound = where(conditions)
    bound.update(params or {}, limit=limit, offset=offset)
    features, count = session.execute(_features_statement(table, feature, filters, order, few), bound).one()
    return features, count


COUNT_CAPPED = "SELECT count(*) FROM (SELECT 1 FROM {table} t WHERE {filters} LIMIT :cap) AS capped"
COUNT_PLAN = "EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} t WHERE {filters}"


def count_capped(session: Session, table: str, conditions: Sequence[Condition], cap: int) -> int:
    """Return how many rows of table match conditions, counting no further than cap."""
    sql, params = where(conditions)
    statement = text(COUNT_CAPPED.format(table=table, filters=sql))
    return session.execute(statement, {**params, "cap": cap}).scalar_one()


def count_rows(session: Session, table: str, conditions: Sequence[Condition], exact_max: int) -> Count:
    """Return how many rows of table match: exact up to exact_max, else the planner's estimate.

    Counting stops after exact_max + 1 rows, so the cost is bounded however large the table grows.
    """
    sql, params = where(conditions)
    exact = count_capped(session, table, conditions, exact_max + 1)
    if exact <= exact_max:
        return Count(exact, False)
    plan = session.execute(text(COUNT_PLAN.format(table=table, filters=sql)), params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    # The estimate can undershoot; we know at least exact_max + 1 rows match.
    return Count(max(estimate, exact_max + 1), True)
