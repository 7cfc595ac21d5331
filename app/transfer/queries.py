"""The SQL of imports and exports: staging rows, checking references and geometry, upserting, reading out."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from .layers import Layer

_SQL_TYPES = {
    "str": "text",
    "int": "integer",
    "bool": "boolean",
    "list": "text[]",
    "json": "jsonb",
    "hours": "jsonb",
}

# The deepest region first, when a point is placed in the region that covers it.
_DEPTH = "array_position(ARRAY['community','street','district','city','province'], g.level::text)"


def stage(session: Session, layer: Layer, rows: list[dict[str, Any]]) -> None:
    """Load rows into the temporary table import_rows, geometry decoded from WKB hex in SRID 4326."""
    columns = ["row_no integer", "row_where text"]
    columns += [f"{f.name} {_SQL_TYPES[f.kind]}" for f in layer.fields]
    geom = ", ST_GeomFromWKB(decode(r.wkb, 'hex'), 4326) AS geom" if layer.geometry else ""
    if layer.geometry:
        columns.append("wkb text")
    session.execute(text("DROP TABLE IF EXISTS import_rows"))
    session.execute(
        text(f"""
        CREATE TEMP TABLE import_rows ON COMMIT DROP AS
        SELECT r.*{geom}, NULL::integer AS region_id, NULL::integer AS parent_id, NULL::integer AS org_id
        FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({", ".join(columns)})
    """),
        {"rows": json.dumps(rows, ensure_ascii=False)},
    )


INVALID_GEOMETRIES = text("""
    SELECT row_where, d.reason, ST_X(d.location) AS lon, ST_Y(d.location) AS lat
    FROM import_rows, ST_IsValidDetail(geom) AS d
    WHERE NOT d.valid
    ORDER BY row_no
""")

REPAIR_GEOMETRIES = text("""
    WITH fixed AS (
        SELECT row_no, ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) AS geom,
               ST_Area(geom::geography) AS area_before_m2
        FROM import_rows WHERE NOT ST_IsValid(geom)
    )
    UPDATE import_rows r SET geom = fixed.geom FROM fixed WHERE r.row_no = fixed.row_no
    RETURNING r.row_where, fixed.area_before_m2, ST_Area(fixed.geom::geography) AS area_after_m2,
              ST_NumGeometries(fixed.geom) AS parts
""")


def invalid_geometries(session: Session) -> list[dict[str, Any]]:
    """Return PostGIS's reason and location for each staged geometry that is not valid."""
    return [
        {
            "row": r.row_where,
            "field": "geometry",
            "message": f"invalid geometry: {r.reason}" + (f" near {r.lon:.6f},{r.lat:.6f}" if r.lon else ""),
        }
        for r in session.execute(INVALID_GEOMETRIES)
    ]


def repair_geometries(session: Session) -> list[dict[str, Any]]:
    """Make staged geometries valid with ST_MakeValid and return what changed per row (areas in m²)."""
    return [
        {
            "row": r.row_where,
            "area_before_m2": round(r.area_before_m2, 1),
            "area_after_m2": round(r.area_after_m2, 1),
            "parts": r.parts,
        }
        for r in session.execute(REPAIR_GEOMETRIES)
    ]


# Each check returns (row_where, field, message) for the rows whose references do not resolve.
_RESOLVE_REGION = """
    UPDATE import_rows r SET region_id = g.id FROM regions g WHERE g.adcode = r.adcode
"""
_PLACE_IN_REGION = f"""
    UPDATE import_rows r SET region_id = (
        SELECT g.id FROM regions g WHERE ST_Covers(g.geom, r.geom) ORDER BY {_DEPTH} LIMIT 1)
    WHERE r.adcode IS NULL
"""
_UNKNOWN_REGION = """
    SELECT row_where, 'adcode' AS field, 'no region has adcode ' || adcode AS message
    FROM import_rows WHERE adcode IS NOT NULL AND region_id IS NULL ORDER BY row_no
"""

RESOLVE: dict[str, list[str]] = {
    "regions": [
        # Without parent_adcode, the parent is the nearest existing ancestor by adcode pattern
        # (community 12 -> street 9 -> district 6 -> city xxxx00 -> province xx0000).
        """UPDATE import_rows r SET parent_adcode = (
               SELECT c.code FROM unnest(CASE
                   WHEN length(r.adcode) = 12 THEN ARRAY[left(r.adcode, 9)]
                   WHEN length(r.adcode) = 9 THEN ARRAY[left(r.adcode, 6)]
                   WHEN right(r.adcode, 4) = '0000' THEN ARRAY[]::text[]
                   WHEN right(r.adcode, 2) = '00' THEN ARRAY[left(r.adcode, 2) || '0000']
                   ELSE ARRAY[left(r.adcode, 4) || '00', left(r.adcode, 2) || '0000'] END)
                   WITH ORDINALITY AS c(code, n)
               WHERE EXISTS (SELECT 1 FROM regions g WHERE g.adcode = c.code)
                  OR EXISTS (SELECT 1 FROM import_rows o WHERE o.adcode = c.code)
               ORDER BY c.n LIMIT 1)
           WHERE r.parent_adcode IS NULL""",
    ],
    "organizations": [_RESOLVE_REGION, _PLACE_IN_REGION],
    "zones": [
        _RESOLVE_REGION,
        "UPDATE import_rows r SET org_id = o.id FROM organizations o WHERE o.code = r.org_code",
    ],
    "sites": [_RESOLVE_REGION, _PLACE_IN_REGION],
    "centres": [_RESOLVE_REGION, _PLACE_IN_REGION],
    "pois": [_RESOLVE_REGION, _PLACE_IN_REGION],
    "routes": [],
}

CHECKS: dict[str, list[str]] = {
    "regions": [
        r"""SELECT row_where, 'adcode', 'adcode must be 6, 9 or 12 digits' FROM import_rows
            WHERE adcode !~ '^[0-9]{6}([0-9]{3}){0,2}$' ORDER BY row_no""",
        """SELECT row_where, 'parent_adcode', 'no region has adcode ' || parent_adcode FROM import_rows r
           WHERE parent_adcode IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM regions g WHERE g.adcode = r.parent_adcode)
             AND NOT EXISTS (SELECT 1 FROM import_rows o WHERE o.adcode = r.parent_adcode) ORDER BY row_no""",
        """SELECT row_where, 'parent_adcode', 'a region cannot be its own parent' FROM import_rows
           WHERE parent_adcode = adcode ORDER BY row_no""",
    ],
    "organizations": [
        _UNKNOWN_REGION,
        """SELECT row_where, 'parent_code', 'no organization has code ' || parent_code FROM import_rows r
           WHERE parent_code IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.code = r.parent_code)
             AND NOT EXISTS (SELECT 1 FROM import_rows o WHERE o.code = r.parent_code) ORDER BY row_no""",
    ],
    "zones": [
        _UNKNOWN_REGION,
        """SELECT row_where, 'org_code', 'no organization has code ' || org_code FROM import_rows
           WHERE org_code IS NOT NULL AND org_id IS NULL ORDER BY row_no""",
        """SELECT row_where, 'code', 'zone code ' || code || ' must start with its region adcode ' || adcode
           FROM import_rows WHERE region_id IS NOT NULL AND left(code, length(adcode)) <> adcode
           ORDER BY row_no""",
        # fk_zones_province_org: a zone and its organization share a province (the shard key).
        """SELECT r.row_where, 'org_code', 'organization ' || r.org_code || ' is in province ' || o.province
                  || ', zone ' || r.code || ' in ' || left(r.adcode, 2)
                  || ': a zone''s organization must be in the zone''s province'
           FROM import_rows r JOIN organizations o ON o.id = r.org_id
           WHERE r.region_id IS NOT NULL AND o.province <> left(r.adcode, 2) ORDER BY r.row_no""",
    ],
    "sites": [_UNKNOWN_REGION],
    "centres": [_UNKNOWN_REGION],
    "pois": [_UNKNOWN_REGION],
    "routes": [
        """SELECT row_where, 'stops', 'no site has code ' || s.code FROM import_rows r,
               unnest(r.stops) AS s(code)
           WHERE NOT EXISTS (SELECT 1 FROM heritage_sites h WHERE h.code = s.code) ORDER BY row_no""",
    ],
}


def resolve_and_check(session: Session, layer: Layer) -> list[dict[str, Any]]:
    """Resolve the staged rows' references to ids and return one error per reference that does not resolve."""
    for statement in RESOLVE[layer.name]:
        session.execute(text(statement))
    errors = []
    for statement in CHECKS[layer.name]:
        errors += [{"row": r[0], "field": r[1], "message": r[2]} for r in session.execute(text(statement))]
    return errors


# Rows an organization admin may not write: a region outside the admin's regions, an organization outside
# the admin's subtree, or an existing row that currently lies outside the scope (no moving rows in).
_IN_REGIONS = "r.region_id = ANY(CAST(:region_ids AS integer[]))"
_EXISTING_IN_REGIONS = """NOT EXISTS (SELECT 1 FROM {table} t WHERE t.code = r.code
                              AND NOT (t.region_id = ANY(CAST(:region_ids AS integer[]))))"""
SCOPE_CHECKS: dict[str, str] = {
    "organizations": """
        SELECT r.row_where FROM import_rows r
        LEFT JOIN organizations o ON o.code = r.code
        LEFT JOIN organizations p ON p.code = r.parent_code
        WHERE NOT (coalesce(o.id, p.id) = ANY(CAST(:org_ids AS integer[])))
           OR (r.region_id IS NOT NULL AND NOT """
    + _IN_REGIONS
    + """)
        ORDER BY r.row_no""",
    "zones": """
        SELECT r.row_where FROM import_rows r
        WHERE NOT """
    + _IN_REGIONS
    + """
           OR (r.org_id IS NOT NULL AND NOT (r.org_id = ANY(CAST(:org_ids AS integer[]))))
           OR NOT """
    + _EXISTING_IN_REGIONS.format(table="zones")
    + """
        ORDER BY r.row_no""",
    **{
        name: """SELECT r.row_where FROM import_rows r
                 WHERE NOT coalesce("""
        + _IN_REGIONS
        + """, false)
                    OR NOT """
        + _EXISTING_IN_REGIONS.format(table=table)
        + """
                 ORDER BY r.row_no"""
        for name, table in (("sites", "heritage_sites"), ("centres", "service_centres"), ("pois", "pois"))
    },
}


def out_of_scope(session: Session, layer: Layer, org_ids: list[int], region_ids: list[int]) -> list[str]:
    """Return where each staged row lies outside the given organization and region ids (all rows when the
    layer is not one an organization admin may import)."""
    statement = SCOPE_CHECKS.get(layer.name)
    if statement is None:
        return [r for (r,) in session.execute(text("SELECT row_where FROM import_rows ORDER BY row_no"))]
    params = {"org_ids": org_ids, "region_ids": region_ids}
    return [r for (r,) in session.execute(text(statement), params)]


def _columns(layer: Layer) -> list[str]:
    cols = [f.name for f in layer.stored]
    if layer.geometry:
        cols.append("geom")
    if layer.name in ("organizations", "zones", "sites", "centres", "pois"):
        cols.append("region_id")
    if layer.name == "zones":
        cols.append("org_id")
    return cols


def upsert(session: Session, layer: Layer) -> tuple[int, int, int]:
    """Insert or update the staged rows by key; return (inserted, updated, unchanged) counts."""
    cols = _columns(layer)
    changed = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c != layer.key)
    # Versioned layers count every change, so an edit based on an older read is refused.
    bump = f", version = {layer.table}.version + 1" if layer.name in ("zones", "organizations") else ""
    distinct = (
        f"({', '.join(f'{layer.table}.{c}' for c in cols)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{c}' for c in cols)})"
    )
    result = session.execute(
        text(f"""
        INSERT INTO {layer.table} ({", ".join(cols)})
        SELECT {", ".join(cols)} FROM import_rows ORDER BY row_no
        ON CONFLICT ({layer.key}) DO UPDATE SET {changed}, updated_at = now(){bump}
        WHERE {distinct}
        RETURNING (xmax = 0) AS inserted
    """)
    ).all()
    total = session.execute(text("SELECT count(*) FROM import_rows")).scalar_one()
    inserted = sum(1 for r in result if r.inserted)
    updated = len(result) - inserted
    return inserted, updated, total - inserted - updated


AFTER_UPSERT: dict[str, list[str]] = {
    "regions": [
        """UPDATE regions g SET parent_id = p.id
           FROM import_rows r LEFT JOIN regions p ON p.adcode = r.parent_adcode
           WHERE g.adcode = r.adcode AND g.parent_id IS DISTINCT FROM p.id""",
    ],
    "organizations": [
        # Rows are linked to their parents in one statement, in no particular order, so a row without a
        # region may read its province from a chain not yet linked: the check that a child shares its
        # parent's province waits until every imported row without a region has its province again.
        "SET CONSTRAINTS fk_organizations_province_parent DEFERRED",
        # A move counts as a change; a new row getting its first parent does not.
        """UPDATE organizations o SET parent_id = p.id, version = o.version + (o.parent_id IS NOT NULL)::int
           FROM import_rows r LEFT JOIN organizations p ON p.code = r.parent_code
           WHERE o.code = r.code AND o.parent_id IS DISTINCT FROM p.id""",
        # The province trigger walks the now complete chain (migration 0009_province_shard_key).
        """UPDATE organizations o SET province = o.province
           FROM import_rows r WHERE o.code = r.code AND o.region_id IS NULL""",
        "SET CONSTRAINTS fk_organizations_province_parent IMMEDIATE",
    ],
    "routes": [
        """DELETE FROM route_stops s USING routes t, import_rows r
           WHERE s.route_id = t.id AND t.code = r.code""",
        """INSERT INTO route_stops (route_id, seq, site_id)
           SELECT t.id, u.seq, h.id FROM import_rows r JOIN routes t ON t.code = r.code,
                  unnest(r.stops) WITH ORDINALITY AS u(code, seq) JOIN heritage_sites h ON h.code = u.code""",
    ],
}

# Organizations whose parent chain, after the import, leads back to themselves.
ORG_CYCLES = text("""
    WITH RECURSIVE up(start_id, id, depth) AS (
        SELECT o.id, o.parent_id, 1 FROM organizations o JOIN import_rows r ON r.code = o.code
        WHERE o.parent_id IS NOT NULL
        UNION ALL
        SELECT up.start_id, o.parent_id, up.depth + 1 FROM up JOIN organizations o ON o.id = up.id
        WHERE o.parent_id IS NOT NULL AND up.id <> up.start_id AND up.depth < 64
    )
    SELECT r.row_where, o.code FROM up JOIN organizations o ON o.id = up.start_id
    JOIN import_rows r ON r.code = o.code
    WHERE up.id = up.start_id ORDER BY r.row_no
""")


def after_upsert(session: Session, layer: Layer) -> list[dict[str, Any]]:
    """Link parents and route stops after the upsert; return errors for organization cycles."""
    for statement in AFTER_UPSERT.get(layer.name, []):
        session.execute(text(statement))
    if layer.name != "organizations":
        return []
    return [
        {
            "row": r.row_where,
            "field": "parent_code",
            "message": f"organization {r.code} would be its own ancestor",
        }
        for r in session.execute(ORG_CYCLES)
    ]


# Export: one SELECT per layer, references written back as the codes the importer reads.
_REF_SELECT = {
    "parent_adcode": "(SELECT p.adcode FROM regions p WHERE p.id = t.parent_id)",
    "adcode": "(SELECT g.adcode FROM regions g WHERE g.id = t.region_id)",
    "parent_code": "(SELECT p.code FROM organizations p WHERE p.id = t.parent_id)",
    "org_code": "(SELECT o.code FROM organizations o WHERE o.id = t.org_id)",
    "stops": """ARRAY(SELECT h.code FROM route_stops s JOIN heritage_sites h ON h.id = s.site_id
                      WHERE s.route_id = t.id ORDER BY s.seq)""",
}
_ROUTE_LINE = """(SELECT ST_AsGeoJSON(ST_MakeLine(h.geom ORDER BY s.seq), 7)::json
                 FROM route_stops s JOIN heritage_sites h ON h.id = s.site_id WHERE s.route_id = t.id)"""


# Which rows of the admin layers a scope reaches (bind parameters from app.auth Scope.params()).
EXPORT_SCOPE = {
    "organizations": "(CAST(:scope_all AS boolean) OR t.id = ANY(CAST(:scope_org_ids AS integer[])))",
    "zones": """(CAST(:scope_all AS boolean) OR t.org_id = ANY(CAST(:scope_org_ids AS integer[]))
                 OR t.region_id = ANY(CAST(:scope_region_ids AS integer[])))""",
}


def export_rows(session: Session, layer: Layer, scope: dict[str, Any] | None = None):
    """Yield the rows of layer (those scope reaches, for admin layers) ordered by key, geometry as GeoJSON
    built by PostGIS (EPSG:4326)."""
    select = []
    for f in layer.fields:
        if f.ref:
            expr = _REF_SELECT[f.name]
        elif layer.name == "regions" and f.name == "adcode":
            expr = "t.adcode"
        else:
            expr = f"t.{f.name}"
        select.append(f"{expr} AS {f.name}")
    geometry = "ST_AsGeoJSON(t.geom, 7)::json" if layer.geometry else _ROUTE_LINE
    where = f"WHERE {EXPORT_SCOPE[layer.name]}" if scope is not None and layer.name in EXPORT_SCOPE else ""
    sql = (
        f"SELECT t.id, {', '.join(select)}, {geometry} AS geometry "
        f"FROM {layer.table} t {where} ORDER BY t.{layer.key}"
    )
    yield from session.execute(text(sql).execution_options(yield_per=2000), scope or {}).mappings()
