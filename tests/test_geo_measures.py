"""geo_area_m2 and geo_disc (migration 0017_geo_measures) against pyproj's geodesics on WGS 84.

Both stand in for a trip through geography in the coverage analysis, so they must agree with the
ellipsoid: areas within the difference between a straight and a geodesic edge, disc vertices within a
few centimetres of the reach for the life-circle reaches, at the latitudes China spans.
"""

from __future__ import annotations

import math

import pytest
from pyproj import Geod
from shapely import wkb
from shapely.geometry import Polygon, box
from sqlalchemy import text

GEOD = Geod(ellps="WGS84")
EARTH_R_M = 6_371_000.0

AREA = text("SELECT geo_area_m2(ST_GeomFromText(:wkt, 4326))")
DISC = text("SELECT ST_AsBinary(geo_disc(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :r)) AS disc")
DISC_SRID = text("SELECT ST_SRID(geo_disc(ST_SetSRID(ST_MakePoint(119.3, 26.1), 4326), 500))")


def _geodesic_area_m2(polygon: Polygon) -> float:
    return abs(GEOD.geometry_area_perimeter(polygon)[0])


def _straight_edge_area_m2(polygon: Polygon) -> float:
    """Area under edges drawn straight in longitude and latitude: densified far below the edge length."""
    return _geodesic_area_m2(polygon.segmentize(1e-5))


def _disc(session, lon: float, lat: float, r: float) -> Polygon:
    return wkb.loads(bytes(session.execute(DISC, {"lon": lon, "lat": lat, "r": r}).scalar_one()))


def _from_centre(disc: Polygon, lon: float, lat: float) -> tuple[int, list[float], list[float]]:
    """Vertex count, and each vertex's azimuth and geodesic distance (m) from the centre."""
    ring = list(disc.exterior.coords)[:-1]
    n = len(ring)
    _, azimuths, dist = GEOD.inv([lon] * n, [lat] * n, [x for x, _ in ring], [y for _, y in ring])
    return n, list(azimuths), list(dist)


@pytest.mark.parametrize(
    "polygon",
    [
        box(119.30, 26.05, 119.32, 26.07),  # a grid square in Fuzhou
        Polygon([(118.4183, 25.7914), (118.3886, 25.8297), (118.4009, 25.8274), (118.4140, 25.8066)]),
        box(124.0, 53.0, 124.5, 53.3),  # 56 km by 33 km at China's northern tip
        box(109.5, 18.2, 109.6, 18.3),  # Sanya
    ],
    ids=["square", "long-edged-zone", "north", "south"],
)
def test_area_is_the_area_under_straight_edges_on_the_ellipsoid(session, polygon):
    measured = session.execute(AREA, {"wkt": polygon.wkt}).scalar_one()
    # An edge straight in longitude and latitude bows a little in the projection: 1e-4 of the zone with
    # 2.7 km edges. A sphere of the mean radius would be 2e-3 off.
    assert measured == pytest.approx(_straight_edge_area_m2(polygon), rel=1.5e-4)
    # And within the bow of the geodesic edges, far below any tolerance a finding is held to.
    assert measured == pytest.approx(_geodesic_area_m2(polygon), rel=5e-4)


def test_area_of_nothing_is_nothing(session):
    assert session.execute(text("SELECT geo_area_m2(NULL)")).scalar_one() is None
    assert session.execute(AREA, {"wkt": "POLYGON EMPTY"}).scalar_one() == 0


@pytest.mark.parametrize("lat", [18.3, 26.1, 40.0, 53.4])
@pytest.mark.parametrize("r", [300.0, 1000.0, 3000.0])
def test_disc_vertices_lie_at_the_reach(session, lat, r):
    lon = 119.3
    n, azimuths, dist = _from_centre(_disc(session, lon, lat, r), lon, lat)
    assert n == 32
    # Off by at most r² tan φ / 2R: the east-west scale changes across the disc.
    bound = r * r * math.tan(math.radians(lat)) / (2 * EARTH_R_M) + 0.005
    assert max(abs(d - r) for d in dist) <= bound
    # Vertices go round the whole circle, not a part of it.
    assert len({round(a % 360) // 30 for a in azimuths}) == 12


def test_a_life_circle_disc_is_within_centimetres_in_fuzhou(session):
    disc = _disc(session, 119.3, 26.1, 1000.0)
    _, _, dist = _from_centre(disc, 119.3, 26.1)
    assert max(abs(d - 1000.0) for d in dist) < 0.05
    # The area of a 32-gon inscribed in the circle: (32 / 2) sin(2π / 32) r².
    assert _geodesic_area_m2(disc) == pytest.approx(16 * math.sin(2 * math.pi / 32) * 1e6, rel=1e-4)


@pytest.mark.parametrize(("lat", "r"), [(26.1, 10_000.0), (85.0, 1000.0)])
def test_wide_or_polar_discs_are_buffered_on_the_ellipsoid(session, lat, r):
    _, _, dist = _from_centre(_disc(session, 119.3, lat, r), 119.3, lat)
    assert max(abs(d - r) for d in dist) < 2e-3 * r


def test_disc_keeps_the_centre_srid_and_a_missing_centre_has_none(session):
    assert session.execute(DISC_SRID).scalar_one() == 4326
    assert session.execute(text("SELECT geo_disc(NULL, 500)")).scalar_one() is None
