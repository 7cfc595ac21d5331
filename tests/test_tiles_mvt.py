"""Vector tiles from ST_AsMVT: clipping to the tile, admin-only layers, caching headers, GCJ-02 shift."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import text

from app.tiles import queries as tile_queries
from tests.conftest import load

ADD_ZONE = text("""
    INSERT INTO zones (code, name, level, region_id, geom)
    SELECT '990101001001', '测试网格', 'grid', id,
           ST_Multi(ST_MakeEnvelope(119.001, 26.001, 119.009, 26.009, 4326))
    FROM regions WHERE adcode = '990101'
""")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture
def sites(session, test_regions):
    return load(session, "sites", "sites.geojson")


def _tile(client, layer: str, lon: float, lat: float, z: int, query: str = "", **kw):
    x, y = tile_of(lon, lat, z)
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf{query}", **kw)


def test_a_tile_holds_the_sites_inside_it_and_no_others(client, sites):
    inside = _tile(client, "sites", 119.015, 26.01, 12)
    assert inside.status_code == 200
    assert inside.mimetype == "application/vnd.mapbox-vector-tile"
    for name in ("测试会议旧址", "测试烈士陵园", "测试纪念馆"):
        assert name.encode() in inside.data
    assert _tile(client, "sites", 120.5, 27.5, 12).data == b""


def test_low_zooms_are_capped(client, sites, monkeypatch):
    layer = tile_queries.LAYERS["sites"]
    monkeypatch.setitem(
        tile_queries.LAYERS, "sites", tile_queries.TileLayer(**{**layer.__dict__, "low_zoom_cap": 1})
    )
    capped = _tile(client, "sites", 119.015, 26.01, 9).data
    assert sum(name.encode() in capped for name in ("测试会议旧址", "测试烈士陵园", "测试纪念馆")) == 1
    full = _tile(client, "sites", 119.015, 26.01, tile_queries.CAP_BELOW_ZOOM).data
    assert sum(name.encode() in full for name in ("测试会议旧址", "测试烈士陵园", "测试纪念馆")) == 3


def test_tiles_carry_caching_headers_and_answer_304(client, sites):
    first = _tile(client, "sites", 119.015, 26.01, 12)
    assert first.cache_control.public and first.cache_control.max_age == 300
    again = _tile(client, "sites", 119.015, 26.01, 12, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_zone_tiles_are_for_admins_only(client, session, admin_headers, test_regions):
    session.execute(ADD_ZONE)
    assert _tile(client, "zones", 119.005, 26.005, 13).status_code == 401
    assert _tile(client, "zones", 119.005, 26.005, 10, headers=admin_headers).data == b""
    admin = _tile(client, "zones", 119.005, 26.005, 13, headers=admin_headers)
    assert admin.status_code == 200 and "测试网格".encode() in admin.data
    assert admin.cache_control.private


def test_regions_are_drawn_from_their_minimum_zoom(client, test_regions):
    assert "测试省".encode() in _tile(client, "regions", 119.02, 26.01, 8).data
    assert _tile(client, "regions", 119.02, 26.01, 2).data == b""


def test_gcj02_tiles_are_shifted(client, sites):
    plain = _tile(client, "sites", 119.015, 26.01, 12).data
    shifted = _tile(client, "sites", 119.015, 26.01, 12, query="?coordsys=gcj02").data
    assert plain and shifted and plain != shifted


@pytest.mark.parametrize(
    ("path", "status"),
    [("/tiles/sites/23/0/0.pbf", 400), ("/tiles/sites/2/4/0.pbf", 400), ("/tiles/secrets/1/0/0.pbf", 404)],
)
def test_bad_tile_addresses(client, path, status):
    assert client.get(path).status_code == status
