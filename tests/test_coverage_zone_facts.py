"""Zone facts along a region's outline: zones drawn on a curved outline, and across the cuts between its
pieces, do not spill; a zone that does spill, or has a part outside, gets its spill exactly.

The made-up city 960100 is a 3 km disc of 512 vertices around 119.5 E 26.5 N (cut into pieces of at most
256 vertices for the facts), tiled by Voronoi zones clipped to it in PostGIS.
"""

from __future__ import annotations

import pytest
from pyproj import Geod
from shapely import wkb
from sqlalchemy import text

from app.coverage import service

GEOD = Geod(ellps="WGS84")

CITY = text("""
    INSERT INTO regions (adcode, name, level, parent_id, geom)
    VALUES ('960100', '圆城', 'city', NULL, ST_Multi(CAST(
        ST_Buffer(CAST(ST_SetSRID(ST_MakePoint(119.5, 26.5), 4326) AS geography), 3000, 128) AS geometry)))
""")
# Voronoi cells of a 9 x 9 grid of seeds, clipped to the city: the outer ones end on the outline.
TILES = text("""
    INSERT INTO zones (code, name, region_id, geom)
    SELECT '960100001001' || lpad(CAST(row_number() OVER (ORDER BY ST_XMin(v.geom), ST_YMin(v.geom))
                                       AS text), 3, '0'),
           '圆城网格', g.id, ST_Multi(ST_CollectionExtract(ST_Intersection(v.geom, g.geom), 3))
    FROM regions g,
         ST_Dump(ST_VoronoiPolygons(
             (SELECT ST_SetSRID(ST_Collect(ST_MakePoint(119.473 + i * 0.0068, 26.476 + j * 0.006)), 4326)
              FROM generate_series(0, 8) i, generate_series(0, 8) j),
             0, ST_Expand(g.geom, 0.01))) v
    WHERE g.adcode = '960100' AND ST_Intersects(v.geom, g.geom)
""")
# Spills past the east edge; and a zone with one part inside and a part wholly outside (no edge crossed).
SPILLERS = text("""
    INSERT INTO zones (code, name, region_id, geom)
    SELECT '960100002001' || v.n, v.name, g.id, v.geom
    FROM regions g, (VALUES
        ('001', '越界网格', ST_Multi(ST_MakeEnvelope(119.525, 26.499, 119.535, 26.501, 4326))),
        ('002', '飞地网格', ST_Collect(ST_MakeEnvelope(119.499, 26.499, 119.501, 26.501, 4326),
                                       ST_MakeEnvelope(119.56, 26.5, 119.562, 26.502, 4326)))
    ) AS v(n, name, geom)
    WHERE g.adcode = '960100'
""")
FACTS = text("""
    SELECT z.code, f.spill_m2, ST_AsBinary(z.geom) AS zone
    FROM coverage_zone_facts f JOIN zones z ON z.id = f.zone_id
    WHERE z.code LIKE '960100%' ORDER BY z.code
""")
OUTLINE = text("SELECT ST_AsBinary(geom) FROM regions WHERE adcode = '960100'")
PIECES = text("SELECT count(*) FROM (SELECT ST_Subdivide(geom, 256) FROM regions WHERE adcode = '960100') p")


def _area_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@pytest.fixture
def facts(session):
    session.execute(CITY)
    session.execute(TILES)
    session.execute(SPILLERS)
    service.coverage_report(session, "960100", with_findings=False)
    return {code: (spill, wkb.loads(bytes(zone))) for code, spill, zone in session.execute(FACTS)}


def test_zones_drawn_on_a_curved_outline_and_across_its_pieces_do_not_spill(session, facts):
    assert session.execute(PIECES).scalar_one() >= 2  # the outline is cut, so some zones cross cuts
    tiles = {code: spill for code, (spill, _) in facts.items() if code.startswith("960100001001")}
    assert len(tiles) >= 60
    assert all(spill == 0 for spill in tiles.values())


def test_a_spill_past_the_outline_and_a_part_outside_are_measured_exactly(session, facts):
    city = wkb.loads(bytes(session.execute(OUTLINE).scalar_one()))
    for code in ("960100002001001", "960100002001002"):
        spill_m2, zone = facts[code]
        outside = zone.difference(city)
        assert _area_m2(outside) > 10_000
        assert spill_m2 == pytest.approx(_area_m2(outside), rel=1e-3)
