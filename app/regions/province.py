"""The province a region lies in: the first two digits of its adcode (GB/T 2260). It is the shard key of
the region-scoped tables (migration 0009_province_shard_key), so a query for one region names it once.
"""

from __future__ import annotations

import re

# The province of an organization with no region anywhere up its parent chain: no real province has it.
UNPLACED = "00"


def province_of(adcode: str) -> str:
    """Return the two-digit province code of a 6, 9 or 12 digit adcode."""
    return adcode[:2]


_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*\.province$|^province$")


def province_clause(column: str = "province") -> str:
    """Return the SQL condition limiting column to the bound :province, no limit when it is NULL.

    Bound as a literal, either way the planner folds it to a plain equality (or to true) before it plans,
    so partition pruning, and a Citus router, see `column = '35'`.
    """
    if not _COLUMN.match(column):
        raise ValueError(f"not a province column: {column!r}")
    return f"(CAST(:province AS char(2)) IS NULL OR {column} = CAST(:province AS char(2)))"
