"""Tests for app.coordsys (pure Python, no database)."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from app import coordsys as cs

# Published vectors from the coordtransform README (wandergis), input (116.404, 39.915).
REF_IN = (116.404, 39.915)
REF_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
REF_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
REF_WGS_TO_BD = (116.41662724378733, 39.922699552216216)
# These two come from the one-step approximate inverses, so only agree to ~1e-5 degrees.
REF_GCJ_TO_WGS_APPROX = (116.39775550083061, 39.91359571849836)
REF_BD_TO_GCJ_APPROX = (116.39762729119315, 39.90865673957631)


@pytest.fixture(scope="module")
def china_points() -> tuple[np.ndarray, np.ndarray]:
    """Return 1,000 random lon/lat points well inside mainland China's rough box."""
    rng = np.random.default_rng(20240611)
    return rng.uniform(75.0, 134.0, 1000), rng.uniform(18.0, 53.0, 1000)


@pytest.mark.parametrize(
    ("func", "expected", "tol"),
    [
        (cs.wgs84_to_gcj02, REF_WGS_TO_GCJ, 1e-9),
        (cs.gcj02_to_bd09, REF_GCJ_TO_BD, 1e-9),
        (cs.wgs84_to_bd09, REF_WGS_TO_BD, 1e-9),
        (cs.gcj02_to_wgs84, REF_GCJ_TO_WGS_APPROX, 2e-5),
        (cs.bd09_to_gcj02, REF_BD_TO_GCJ_APPROX, 2e-5),
    ],
)
def test_published_reference_pairs(func, expected, tol) -> None:
    lon, lat = func(*REF_IN)
    assert lon == pytest.approx(expected[0], abs=tol)
    assert lat == pytest.approx(expected[1], abs=tol)


def test_exact_inverses_beat_published_approximations() -> None:
    lon, lat = cs.wgs84_to_gcj02(*cs.gcj02_to_wgs84(*REF_IN))
    assert abs(lon - REF_IN[0]) < 1e-9 and abs(lat - REF_IN[1]) < 1e-9
    lon, lat = cs.gcj02_to_bd09(*cs.bd09_to_gcj02(*REF_IN))
    assert abs(lon - REF_IN[0]) < 1e-9 and abs(lat - REF_IN[1]) < 1e-9


def test_against_eviltransform(china_points) -> None:
    import eviltransform  # an independent implementation, from the dev extra

    lons, lats = china_points
    gcj_lon, gcj_lat = cs.wgs84_to_gcj02(lons, lats)
    bd_lon, bd_lat = cs.gcj02_to_bd09(lons, lats)
    inv_lon, inv_lat = cs.gcj02_to_wgs84(lons, lats)
    for i in range(len(lons)):
        e_lat, e_lon = eviltransform.wgs2gcj(lats[i], lons[i])  # eviltransform is (lat, lng)
        assert abs(gcj_lon[i] - e_lon) < 1e-6 and abs(gcj_lat[i] - e_lat) < 1e-6
        e_lat, e_lon = eviltransform.gcj2wgs_exact(lats[i], lons[i])  # its own iteration stops near 1e-6
        assert abs(inv_lon[i] - e_lon) < 1e-5 and abs(inv_lat[i] - e_lat) < 1e-5
        e_lat, e_lon = eviltransform.gcj2bd(lats[i], lons[i])
        assert abs(bd_lon[i] - e_lon) < 1e-6 and abs(bd_lat[i] - e_lat) < 1e-6


def test_fuzhou_offset_is_a_few_hundred_metres() -> None:
    lon, lat = 119.30, 26.08
    g_lon, g_lat = cs.wgs84_to_gcj02(lon, lat)
    _, _, dist = pyproj.Geod(ellps="WGS84").inv(lon, lat, g_lon, g_lat)
    assert 100.0 < dist < 700.0


def test_gcj_bd_round_trip(china_points) -> None:
    lons, lats = china_points
    lon, lat = cs.bd09_to_gcj02(*cs.gcj02_to_bd09(lons, lats))
    assert np.max(np.abs(lon - lons)) < 1e-6 and np.max(np.abs(lat - lats)) < 1e-6


@pytest.mark.parametrize(("to", "back"), [("gcj02", "wgs84"), ("bd09", "wgs84")])
def test_round_trips_below_a_centimetre(china_points, to, back) -> None:
    lons, lats = china_points
    lon, lat = cs.convert(*cs.convert(lons, lats, "wgs84", to), to, back)
    assert np.max(np.abs(lon - lons)) < 1e-7 and np.max(np.abs(lat - lats)) < 1e-7
    moved = np.hypot(*(np.subtract(cs.convert(lons, lats, "wgs84", to), (lons, lats))))
    assert np.all(moved > 1e-4)  # the transform really does something inside China


def test_outside_china_unchanged() -> None:
    # Paris, New York, Tokyo, south of 0.83N, north of 55.8N
    lons = np.array([2.35, -74.0, 139.69, 100.0, 80.0])
    lats = np.array([48.86, 40.71, 35.69, 0.5, 60.0])
    for func in (cs.wgs84_to_gcj02, cs.gcj02_to_wgs84):
        lon, lat = func(lons, lats)
        np.testing.assert_array_equal(lon, lons)
        np.testing.assert_array_equal(lat, lats)


def test_scalars_and_arrays_agree() -> None:
    lon, lat = cs.wgs84_to_bd09(119.30, 26.08)
    assert type(lon) is float and type(lat) is float
    arr_lon, arr_lat = cs.wgs84_to_bd09(np.array([119.30, 116.4]), np.array([26.08, 39.9]))
    assert isinstance(arr_lon, np.ndarray) and arr_lon.shape == (2,)
    assert arr_lon[0] == lon and arr_lat[0] == lat
    assert cs.convert(119.30, 26.08, "bd09", "baidu") == (119.30, 26.08)


def test_convert_geometry_polygon_and_multipolygon() -> None:
    poly = Point(119.30, 26.08).buffer(0.01, quad_segs=64)
    multi = MultiPolygon([poly, Polygon([(119.4, 26.0), (119.41, 26.0), (119.41, 26.01), (119.4, 26.0)])])
    for geom in (poly, multi):
        out = cs.convert_geometry(geom, "wgs84", "gcj02")
        assert type(out) is type(geom)
        assert shapely.get_num_coordinates(out) == shapely.get_num_coordinates(geom)
        assert out.is_valid
        back = cs.convert_geometry(out, "gcj02", "wgs84")
        np.testing.assert_allclose(shapely.get_coordinates(back), shapely.get_coordinates(geom), atol=1e-8)
    x0, y0 = cs.wgs84_to_gcj02(*poly.exterior.coords[0])
    assert cs.convert_geometry(poly, "wgs84", "gcj02").exterior.coords[0] == pytest.approx((x0, y0))
    assert cs.convert_geometry(poly, "gcj02", "gcj02") is poly


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("wgs84", "wgs84"),
        (" WGS-84 ", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("gcj", "gcj02"),
        ("amap", "gcj02"),
        ("Tencent", "gcj02"),
        ("bd09", "bd09"),
        ("BD-09", "bd09"),
        ("bd", "bd09"),
        ("baidu", "bd09"),
    ],
)
def test_parse_coordsys_aliases(alias, expected) -> None:
    assert cs.parse_coordsys(alias) == expected
    assert expected in cs.COORDSYS


def test_parse_coordsys_default_and_error() -> None:
    assert cs.parse_coordsys(None) == "wgs84"
    assert cs.parse_coordsys(None, default="gcj02") == "gcj02"
    with pytest.raises(ValueError, match=r"unknown coordsys 'mercator'; expected one of wgs84, gcj02, bd09"):
        cs.parse_coordsys("mercator")
    with pytest.raises(ValueError, match="unknown coordsys"):
        cs.convert(1.0, 2.0, "wgs84", "osgb")
