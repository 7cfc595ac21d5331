"""The province a region lies in: the first two digits of its adcode (GB/T 2260). It is the shard key of
the region-scoped tables (migration 0009_province_shard_key), so a query for one region names it once.
"""

from __future__ import annotations

# The province of an organization with no region anywhere up its parent chain: no real province has it.
UNPLACED = "00"


def province_of(adcode: str) -> str:
    """Return the two-digit province code of a 6, 9 or 12 digit adcode."""
    return adcode[:2]
