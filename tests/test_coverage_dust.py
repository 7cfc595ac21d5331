"""Zones drawn on the same straight line meet in floating-point dust, which is neither overlap nor gap.

The coordinates come from two generated zones of the province benchmark. The upper zone's edge runs
straight from A to C; the lower one's runs A, B, C, with B on that line to within 1e-14 degrees. As
written, B lies a hair above the line: the interiors overlap in a zero-width triangle. Moved 1.2e-14
degrees down, B leaves a zero-width gap. Either triangle measures 100 m² on the spheroid, whose edges
bow away from the straight line, so it would pass the 50 m² tolerance as an overlap or a blind zone.
"""

from __future__ import annotations

import pytest
from pyproj import Geod
from shapely import wkt
from shapely.geometry import box
from shapely.ops import unary_union
from sqlalchemy import text

from app.coverage import service

GEOD = Geod(ellps="WGS84")
BOX = box(119.57, 25.705, 119.61, 25.735)
A = "119.57462924215848 25.71706829487351"
C = "119.60265761638178 25.72328329277592"
UPPER = (
    f"POLYGON(({A}, 119.58844578811275 25.73322722625942, 119.58970470357102 25.733416452094517, {C}, {A}))"
)
B_ABOVE = "119.58322866563675 25.718975126802242"
B_BELOW = "119.58322866563675 25.71897512680223"


def _lower(b: str) -> str:
    return f"POLYGON(({A}, {b}, {C}, 119.6072 25.7072, 119.5723 25.7156, {A}))"


REGION = text("""
    INSERT INTO regions (adcode, name, level, parent_id, geom)
    VALUES ('950100', '尘市', 'city', NULL, ST_Multi(CAST(:outline AS geometry)))
""")
ZONES = text("""
    INSERT INTO zones (code, name, region_id, geom)
    SELECT v.code, '尘网格', g.id, ST_Multi(ST_GeomFromText(v.wkt, 4326))
    FROM regions g, (VALUES ('950100001001001', :upper), ('950100001001002', :lower)) AS v(code, wkt)
    WHERE g.adcode = '950100'
""")
SHARED_M2 = text(
    "SELECT ST_Area(CAST(ST_Intersection(CAST(:a AS geometry), CAST(:b AS geometry)) AS geography))"
)


def _report(session, lower: str, outline: str):
    session.execute(REGION, {"outline": outline})
    session.execute(ZONES, {"upper": UPPER, "lower": lower})
    return service.coverage_report(session, "950100")


def test_a_zero_width_overlap_is_not_an_overlap(session):
    # The dust is real to the overlay and large on the spheroid: what the pairs must pass over.
    shared = session.execute(SHARED_M2, {"a": f"SRID=4326;{UPPER}", "b": f"SRID=4326;{_lower(B_ABOVE)}"})
    assert shared.scalar_one() == pytest.approx(100.09, abs=0.1)
    report = _report(session, _lower(B_ABOVE), f"SRID=4326;{BOX.wkt}")
    assert report.counts["overlap"] == 0
    # Not even a stored pair: below any tolerance on the plane, the dust would still be an overlap there.
    assert session.execute(text("SELECT count(*) FROM coverage_overlaps")).scalar_one() == 0


def test_a_zero_width_gap_is_not_a_blind_zone(session):
    # The city is exactly the two zones with B on the upper side: with B moved down, the zones leave
    # only the zero-width triangle of it uncovered.
    outline = unary_union([wkt.loads(UPPER), wkt.loads(_lower(B_ABOVE))])
    report = _report(session, _lower(B_BELOW), f"SRID=4326;{outline.wkt}")
    rest = outline.difference(unary_union([wkt.loads(UPPER), wkt.loads(_lower(B_BELOW))]))
    assert _area_m2(rest) == pytest.approx(100.09, abs=0.1) and rest.area < 1e-12
    # Not ground at all: neither a finding nor a sliver below the tolerance.
    assert report.counts["blind"] == 0
    assert report.counts["blind_slivers"]["count"] == 0
    assert report.counts["overlap"] == 0


def _area_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])
