"""SQL for grid zones (网格): reads by code and box, geometry checks and repair, versioned writes.

Every write to zones fires the coverage triggers of migration 0003_coverage in the same transaction,
so the cells and zone facts a write invalidates are marked stale before it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..auth import Scope, org_clause, region_clause
from ..regions.province import province_clause, province_of


@dataclass(frozen=True)
class ZoneRow:
    """A zone with its region and organization codes; geometry is GeoJSON (EPSG:4326), area in m²."""

    id: int
    code: str
    name: str
    level: str
    adcode: str
    region_name: str
    org_code: str | None
    org_name: str | None
    grid_worker: str | None
    grid_worker_phone: str | None
    version: int
    area_m2: float
    geometry: dict[str, Any] | None


@dataclass(frozen=True)
class GeometryCheck:
    """PostGIS's verdict on a geometry: valid or not, why, and where (lon/lat)."""

    valid: bool
    reason: str | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class Repair:
    """What ST_MakeValid changed: the reason it was invalid, areas in m² and part counts before and after."""

    reason: str
    lon: float | None
    lat: float | None
    area_before_m2: float
    area_after_m2: float
    parts_before: int
    parts_after: int
    wkb: str


_ZONE_COLUMNS = """
    z.id, z.code, z.name, z.level, g.adcode, g.name AS region_name, o.code AS org_code, o.name AS org_name,
    z.grid_worker, z.grid_worker_phone, z.version, ST_Area(CAST(z.geom AS geography)) AS area_m2
"""
# A zone's organization is in the zone's province (fk_zones_province_org); saying so keeps the join on
# one shard.
_ZONE_FROM = """
    FROM zones z JOIN regions g ON g.id = z.region_id
    LEFT JOIN organizations o ON o.province = z.province AND o.id = z.org_id
"""
# An organization admin reads the zones its subtree is responsible for and every zone in its regions.
_IN_SCOPE = f"({org_clause('z.org_id')} OR {region_clause('z.region_id')})"

GET_ZONE = text(f"""
    SELECT {_ZONE_COLUMNS}, ST_AsGeoJSON(z.geom, 7)::json AS geometry {_ZONE_FROM}
    WHERE z.code = :code AND {_IN_SCOPE}
""")

ZONES_IN_BOX = text(f"""
    WITH RECURSIVE within(id) AS (
        SELECT id FROM regions WHERE adcode = CAST(:adcode AS text)
        UNION ALL
        SELECT g.id FROM regions g JOIN within w ON g.parent_id = w.id
    )
    SELECT {_ZONE_COLUMNS}, ST_AsGeoJSON(z.geom, 7)::json AS geometry
    {_ZONE_FROM}
    -- served by the GiST index on zones.geom
    WHERE (CAST(:bbox AS geometry) IS NULL OR z.geom && CAST(:bbox AS geometry))
      AND (CAST(:adcode AS text) IS NULL OR z.region_id IN (SELECT id FROM within))
      -- the region's province, which routes a region's list to one shard; every province without a region
      AND {province_clause("z.province")}
      AND {_IN_SCOPE}
    ORDER BY z.code
    LIMIT :limit
""")


def get_zone(session: Session, code: str, scope: Scope) -> ZoneRow | None:
    """Return the zone with code, or None if there is none in scope."""
    row = session.execute(GET_ZONE, {"code": code, **scope.params()}).mappings().first()
    return ZoneRow(**row) if row else None


def zones_in_box(
    session: Session, bbox_ewkt: str | None, adcode: str | None, limit: int, scope: Scope
) -> list[ZoneRow]:
    """Return zones in scope whose box meets bbox (EWKT, EPSG:4326) and whose region is adcode or below it."""
    province = province_of(adcode) if adcode else None
    params = {"bbox": bbox_ewkt, "adcode": adcode, "province": province, "limit": limit, **scope.params()}
    return [ZoneRow(**r) for r in session.execute(ZONES_IN_BOX, params).mappings()]


CHECK_GEOMETRY = text("""
    SELECT d.valid, d.reason, ST_X(d.location) AS lon, ST_Y(d.location) AS lat
    FROM ST_IsValidDetail(ST_GeomFromWKB(decode(:wkb, 'hex'), 4326)) AS d
""")
REPAIR_GEOMETRY = text("""
    WITH g AS (SELECT ST_GeomFromWKB(decode(:wkb, 'hex'), 4326) AS geom),
    fixed AS (
        SELECT g.geom AS before, ST_Multi(ST_CollectionExtract(ST_MakeValid(g.geom), 3)) AS after FROM g
    )
    SELECT d.reason, ST_X(d.location) AS lon, ST_Y(d.location) AS lat,
           ST_Area(CAST(f.before AS geography)) AS area_before_m2,
           COALESCE(ST_Area(CAST(f.after AS geography)), 0) AS area_after_m2,
           ST_NumGeometries(f.before) AS parts_before, ST_NumGeometries(f.after) AS parts_after,
           encode(ST_AsBinary(f.after), 'hex') AS wkb
    FROM fixed f, ST_IsValidDetail(f.before) AS d
""")


def check_geometry(session: Session, wkb_hex: str) -> GeometryCheck:
    """Return whether the geometry (WKB hex, EPSG:4326) is valid for PostGIS, with reason and location."""
    return GeometryCheck(*session.execute(CHECK_GEOMETRY, {"wkb": wkb_hex}).one())


def repair_geometry(session: Session, wkb_hex: str) -> Repair:
    """Return the ST_MakeValid repair of the geometry (polygons only, as a MultiPolygon) and what changed."""
    return Repair(**session.execute(REPAIR_GEOMETRY, {"wkb": wkb_hex}).mappings().one())


REFERENCES = text("""
    SELECT (SELECT id FROM regions WHERE adcode = :adcode) AS region_id,
           o.id AS org_id, o.province AS org_province
    FROM (SELECT 1) one LEFT JOIN organizations o ON o.code = CAST(:org_code AS text)
""")


@dataclass(frozen=True)
class References:
    """The ids a zone's adcode and org_code name (None when unknown), and that organization's province."""

    region_id: int | None
    org_id: int | None
    org_province: str | None


def resolve_references(session: Session, adcode: str, org_code: str | None) -> References:
    """Return the ids of region adcode and organization org_code, and that organization's province."""
    return References(
        **session.execute(REFERENCES, {"adcode": adcode, "org_code": org_code}).mappings().one()
    )


INSERT_ZONE = text("""
    INSERT INTO zones (code, name, level, region_id, org_id, grid_worker, grid_worker_phone, geom)
    VALUES (:code, :name, :level, :region_id, :org_id, :grid_worker, :grid_worker_phone,
            ST_GeomFromWKB(decode(:wkb, 'hex'), 4326))
    ON CONFLICT (code) DO NOTHING
    RETURNING id
""")
UPDATE_ZONE = text("""
    UPDATE zones SET code = :new_code, name = :name, level = :level, region_id = :region_id, org_id = :org_id,
           grid_worker = :grid_worker, grid_worker_phone = :grid_worker_phone,
           geom = ST_GeomFromWKB(decode(:wkb, 'hex'), 4326), version = version + 1, updated_at = now()
    WHERE code = :code AND version = :version
    RETURNING id
""")
DELETE_ZONE = text("DELETE FROM zones WHERE code = :code AND version = :version RETURNING id")
ZONE_VERSION = text("SELECT version FROM zones WHERE code = :code")
ZONE_WKB = text("SELECT encode(ST_AsBinary(geom), 'hex') FROM zones WHERE code = :code")
ZONE_OWNERS = text("SELECT region_id, org_id FROM zones WHERE code = :code")


def insert_zone(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a zone (geometry as WKB hex, EPSG:4326); return its id, or None if the code is taken."""
    return session.execute(INSERT_ZONE, values).scalar()


def update_zone(session: Session, values: dict[str, Any]) -> int | None:
    """Update the zone code at version (bumping it); return its id, or None if code/version do not match."""
    return session.execute(UPDATE_ZONE, values).scalar()


def delete_zone(session: Session, code: str, version: int) -> int | None:
    """Delete the zone code at version; return its id, or None if code/version do not match."""
    return session.execute(DELETE_ZONE, {"code": code, "version": version}).scalar()


def zone_version(session: Session, code: str) -> int | None:
    """Return the zone's current version, or None if it does not exist."""
    return session.execute(ZONE_VERSION, {"code": code}).scalar()


def zone_wkb(session: Session, code: str) -> str | None:
    """Return the zone's geometry as WKB hex (EPSG:4326)."""
    return session.execute(ZONE_WKB, {"code": code}).scalar()


def zone_owners(session: Session, code: str) -> tuple[int, int | None] | None:
    """Return the zone's region id and responsible organization id, or None if it does not exist."""
    row = session.execute(ZONE_OWNERS, {"code": code}).first()
    return (row.region_id, row.org_id) if row else None
