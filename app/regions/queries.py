"""SQL for the region tree: lookups by adcode, children, the path to the root."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..errors import NotFound


@dataclass(frozen=True)
class RegionRow:
    id: int
    adcode: str
    name: str
    level: str
    parent_adcode: str | None
    bbox: list[float]
    area_km2: float


_REGION_COLUMNS = """
    g.id, g.adcode, g.name, g.level, p.adcode AS parent_adcode,
    ARRAY[ST_XMin(g.geom), ST_YMin(g.geom), ST_XMax(g.geom), ST_YMax(g.geom)] AS bbox,
    ST_Area(g.geom::geography) / 1e6 AS area_km2
"""

GET_REGION = text(
    f"SELECT {_REGION_COLUMNS} FROM regions g LEFT JOIN regions p ON p.id = g.parent_id "
    "WHERE g.adcode = :adcode"
)
CHILD_REGIONS = text(f"""
    SELECT {_REGION_COLUMNS} FROM regions g LEFT JOIN regions p ON p.id = g.parent_id
    WHERE (CAST(:adcode AS text) IS NULL AND g.parent_id IS NULL) OR p.adcode = :adcode
    ORDER BY g.adcode
""")
REGION_PATH = text("""
    WITH RECURSIVE up AS (
        SELECT id, adcode, name, level, parent_id, 0 AS depth FROM regions WHERE adcode = :adcode
        UNION ALL
        SELECT g.id, g.adcode, g.name, g.level, g.parent_id, up.depth + 1
        FROM regions g JOIN up ON g.id = up.parent_id WHERE up.depth < 8
    )
    SELECT adcode, name, level FROM up ORDER BY depth DESC
""")
REGION_GEOJSON = text("""
    SELECT ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(geom, :tolerance_deg)), 6)::json AS geometry
    FROM regions WHERE adcode = :adcode
""")


def get_region(session: Session, adcode: str) -> RegionRow:
    """Return the region with adcode; NotFound if there is none."""
    row = session.execute(GET_REGION, {"adcode": adcode}).mappings().first()
    if row is None:
        raise NotFound(f"region {adcode} does not exist")
    return RegionRow(**row)


def child_regions(session: Session, adcode: str | None) -> list[RegionRow]:
    """Return the direct children of adcode, or the top-level regions when adcode is None."""
    return [RegionRow(**r) for r in session.execute(CHILD_REGIONS, {"adcode": adcode}).mappings()]


def region_path(session: Session, adcode: str) -> list[dict]:
    """Return the regions from the root down to adcode, each as adcode, name and level."""
    return [dict(r) for r in session.execute(REGION_PATH, {"adcode": adcode}).mappings()]


def region_geometry(session: Session, adcode: str, tolerance_deg: float = 0.0) -> dict:
    """Return the region's outline as a GeoJSON geometry (EPSG:4326), simplified by tolerance_deg."""
    row = session.execute(REGION_GEOJSON, {"adcode": adcode, "tolerance_deg": tolerance_deg}).first()
    if row is None:
        raise NotFound(f"region {adcode} does not exist")
    return row.geometry
