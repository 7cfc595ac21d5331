"""A service centre outside the region still reaches into it, east and west as well as north and south,
and moving it away marks the cells it reached.

The reach discs are looked up in the region's box widened by the largest reach. The box was once widened
east-west by a degree of latitude's worth and north-south by a degree of longitude's, the wrong way round:
at 26° N a kilometre of reach widened it east-west by only 908 m, and a street centre 950 m outside
the west edge, whose 1,000 m disc covers a 50 m lens inside, was left out. The expected lens comes from
pyproj's geodesic circle, independently of PostGIS. South of the box the old widening was wide
enough, so the south case passed before; west and east reached nothing.
"""

from __future__ import annotations

import pytest
from pyproj import Geod
from shapely.geometry import Polygon, box
from sqlalchemy import text

from app.coverage import service

GEOD = Geod(ellps="WGS84")
WEST, SOUTH, EAST, NORTH = 119.50, 26.00, 119.52, 26.02
REACH_M = 1000.0  # a street centre's default reach (GB 50180-2018, 15-minute life circle)

REGION = text("""
    INSERT INTO regions (adcode, name, level, parent_id, geom)
    VALUES ('940100', '边市', 'city', NULL, ST_Multi(ST_MakeEnvelope(:w, :s, :e, :n, 4326)))
""")
CENTRE = text("""
    INSERT INTO service_centres (code, name, level, geom)
    VALUES (:code, '边外站', 'street', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
""")
MOVE = text("UPDATE service_centres SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) WHERE code = :code")


def _disc(lon: float, lat: float) -> Polygon:
    lons, lats, _ = GEOD.fwd([lon] * 360, [lat] * 360, list(range(360)), [REACH_M] * 360)
    return Polygon(zip(lons, lats, strict=True))


def _area_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@pytest.mark.parametrize(("azimuth", "code"), [(270, "T-EDGE-W"), (90, "T-EDGE-E"), (180, "T-EDGE-S")])
def test_a_centre_950_m_outside_reaches_its_lens_inside(session, azimuth, code):
    # 950 m out from the middle of the west, east or south edge.
    middle = {270: (WEST, 26.01), 90: (EAST, 26.01), 180: (119.51, SOUTH)}[azimuth]
    lon, lat, _ = GEOD.fwd(*middle, azimuth, 950.0)
    session.execute(REGION, {"w": WEST, "s": SOUTH, "e": EAST, "n": NORTH})
    session.execute(CENTRE, {"code": code, "lon": lon, "lat": lat})
    figures = service.coverage_report(session, "940100").figures
    lens_m2 = _area_m2(_disc(lon, lat).intersection(box(WEST, SOUTH, EAST, NORTH)))
    assert lens_m2 == pytest.approx(20_900, rel=0.02)
    # The disc is a 32-gon inside the circle, whose chords cut about a tenth off a lens 50 m deep.
    reached_m2 = figures.region_area_m2 - figures.reach_gap_area_m2
    assert 0.85 * lens_m2 < reached_m2 < 1.001 * lens_m2


def test_moving_the_centre_away_marks_the_cells_it_reached(session):
    # The edit trigger marks the cells around the centre's old and new places; 950 m east of the box it
    # must reach the box's east column of cells, or the lens stays reached from the stored gap.
    lon, lat, _ = GEOD.fwd(EAST, 26.01, 90, 950.0)
    session.execute(REGION, {"w": WEST, "s": SOUTH, "e": EAST, "n": NORTH})
    session.execute(CENTRE, {"code": "T-EDGE-M", "lon": lon, "lat": lat})
    before = service.coverage_report(session, "940100").figures
    assert before.region_area_m2 - before.reach_gap_area_m2 > 15_000
    far, _, _ = GEOD.fwd(EAST, 26.01, 90, 2000.0)
    session.execute(MOVE, {"code": "T-EDGE-M", "lon": far, "lat": lat})
    after = service.coverage_report(session, "940100").figures
    assert after.reach_gap_area_m2 == pytest.approx(after.region_area_m2, rel=1e-9)
