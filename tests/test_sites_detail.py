"""Site detail, coordinate systems on the way out and in, and the admin writes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.coordsys import wgs84_to_bd09, wgs84_to_gcj02
from tests.guide_support import geodesic_m, guide_fixture  # noqa: F401 - fixture

# Published pairs (coordtransform README): WGS84 (116.404, 39.915) is GCJ-02 and BD-09 below.
WGS = (116.404, 39.915)
GCJ = (116.41024449916938, 39.91640428150164)
BD = (116.41662724378733, 39.922699552216216)


def test_detail_has_every_field_region_path_centre_and_links(client, guide):
    body = client.get(f"/api/v1/sites/{guide['G-1']}").get_json()
    assert body["code"] == "G-1" and body["name"] == "古田会议旧址"
    assert body["category_label"] == "革命旧址" and body["level_label"] == "国家级"
    assert body["intro"].startswith("1929年") and body["dwell_min"] == 90
    assert body["opening_hours"]["mon"] == [] and body["opening_hours"]["note"] == "周一闭馆"
    assert isinstance(body["open_now"], bool)
    assert [r["adcode"] for r in body["region_path"]] == ["990000", "990100", "990101"]
    centre = body["nearest_centre"]
    assert centre["code"] == "GC-1"
    assert centre["distance_m"] == pytest.approx(geodesic_m(119.005, 26.005, 119.006, 26.006), rel=0.005)
    assert body["links"]["merchants"] == f"/api/v1/sites/{guide['G-1']}/merchants"
    assert body["links"]["nearby_sites"].startswith("/api/v1/sites/nearby?")
    assert body["links"]["ogc_item"] == f"/collections/sites/items/{guide['G-1']}"
    assert (body["lon"], body["lat"], body["coordsys"]) == (119.005, 26.005, "wgs84")
    for key in (
        "story",
        "ticket",
        "transport",
        "visit_guide",
        "photos",
        "tags",
        "official_ids",
        "updated_at",
    ):
        assert key in body


def test_detail_by_code_and_as_geojson(client, guide):
    assert client.get("/api/v1/sites/G-4").get_json()["id"] == guide["G-4"]
    response = client.get("/api/v1/sites/G-4?format=geojson")
    body = response.get_json()
    assert response.mimetype == "application/geo+json"
    assert body["type"] == "Feature" and body["id"] == guide["G-4"]
    assert body["properties"]["name"] == "革命先驱故居"


def test_site_outside_every_region_has_an_empty_path(client, guide):
    body = client.get(f"/api/v1/sites/{guide['G-7']}").get_json()
    assert body["region_path"] == [] and body["adcode"] is None


@pytest.mark.parametrize("ref", ["999999", "no-such-code", "99999999999999999999", "x" * 41])
def test_unknown_site_is_404(client, ref):
    response = client.get(f"/api/v1/sites/{ref}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def _create_at_reference(client, admin_headers, coordsys: str, lon: float, lat: float):
    body = {"code": "NEW-1", "name": "新建旧址", "category": "former_site", "lon": lon, "lat": lat}
    return client.post(f"/api/v1/sites?coordsys={coordsys}", json=body, headers=admin_headers)


@pytest.mark.parametrize(("coordsys", "pair"), [("gcj02", GCJ), ("bd09", BD)])
def test_coordsys_both_ways_with_published_pairs(client, admin_headers, coordsys, pair):
    created = _create_at_reference(client, admin_headers, coordsys, *pair)
    assert created.status_code == 201, created.get_json()
    site_id = created.get_json()["id"]
    # Written in coordsys, stored in WGS84.
    stored = client.get(f"/api/v1/sites/{site_id}").get_json()
    assert stored["lon"] == pytest.approx(WGS[0], abs=1e-7) and stored["lat"] == pytest.approx(
        WGS[1], abs=1e-7
    )
    # Read out in coordsys.
    shown = client.get(f"/api/v1/sites/{site_id}?coordsys={coordsys}").get_json()
    assert shown["coordsys"] == coordsys
    assert shown["lon"] == pytest.approx(pair[0], abs=1e-7) and shown["lat"] == pytest.approx(
        pair[1], abs=1e-7
    )
    feature = client.get(f"/api/v1/sites/{site_id}?coordsys={coordsys}&format=geojson").get_json()
    assert feature["geometry"]["coordinates"] == pytest.approx(list(pair), abs=1e-7)


def test_nearest_centre_is_converted_too(client, guide):
    body = client.get(f"/api/v1/sites/{guide['G-1']}?coordsys=gcj02").get_json()
    lon, lat = wgs84_to_gcj02(119.006, 26.006)
    assert body["nearest_centre"]["lon"] == pytest.approx(lon, abs=1e-7)
    assert body["nearest_centre"]["lat"] == pytest.approx(lat, abs=1e-7)
    assert body["lon"] == pytest.approx(wgs84_to_gcj02(119.005, 26.005)[0], abs=1e-7)
    assert client.get(f"/api/v1/sites/{guide['G-1']}?coordsys=bd09").get_json()["lat"] == pytest.approx(
        wgs84_to_bd09(119.005, 26.005)[1], abs=1e-7
    )


def test_writes_need_the_admin_token(client, guide):
    body = {"code": "X", "name": "x", "category": "museum", "lon": 119.0, "lat": 26.0}
    assert client.post("/api/v1/sites", json=body).status_code == 401
    bad = {"Authorization": "Bearer wrong"}
    assert client.post("/api/v1/sites", json=body, headers=bad).status_code == 403
    assert client.delete(f"/api/v1/sites/{guide['G-1']}").status_code == 401
    assert client.patch(f"/api/v1/sites/{guide['G-1']}", json={"name": "y"}).status_code == 401


def test_create_places_the_site_in_its_region(client, admin_headers, test_regions):
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [119.03, 26.01]},
        "properties": {"code": "NEW-2", "name": "东区新馆", "category": "museum", "tags": ["新"]},
    }
    response = client.post("/api/v1/sites", json=body, headers=admin_headers)
    assert response.status_code == 201
    created = response.get_json()
    assert created["adcode"] == "990102" and response.headers["Location"] == f"/api/v1/sites/{created['id']}"
    again = client.post("/api/v1/sites", json=body, headers=admin_headers)
    assert again.status_code == 409 and again.get_json()["errors"][0]["param"] == "code"


def test_patch_changes_fields_and_moves_between_regions(client, admin_headers, guide):
    site_id = guide["G-1"]
    response = client.patch(
        f"/api/v1/sites/{site_id}",
        json={"name": "古田会议会址", "lon": 119.03, "lat": 26.01},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "古田会议会址" and body["adcode"] == "990102"
    assert body["intro"].startswith("1929年")  # untouched fields stay
    assert (
        client.patch(f"/api/v1/sites/{site_id}", json={"level": "global"}, headers=admin_headers).status_code
        == 400
    )


def test_put_replaces_and_delete_removes(client, admin_headers, guide, session):
    site_id = guide["G-3"]
    body = {"code": "G-3", "name": "英雄纪念碑", "category": "monument", "lon": 119.035, "lat": 26.015}
    response = client.put(f"/api/v1/sites/{site_id}", json=body, headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["intro"] is None and response.get_json()["category"] == "monument"
    assert client.delete(f"/api/v1/sites/{site_id}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/v1/sites/{site_id}").status_code == 404
    assert client.delete(f"/api/v1/sites/{site_id}", headers=admin_headers).status_code == 404
    assert session.execute(text("SELECT count(*) FROM heritage_sites WHERE code = 'G-3'")).scalar_one() == 0


def test_delete_refuses_a_site_on_a_route(client, admin_headers, guide, session):
    session.execute(text("INSERT INTO routes (code, name) VALUES ('R1', '线路')"))
    session.execute(
        text(
            "INSERT INTO route_stops (route_id, seq, site_id) SELECT id, 1, :s FROM routes WHERE code = 'R1'"
        ),
        {"s": guide["G-2"]},
    )
    response = client.delete(f"/api/v1/sites/{guide['G-2']}", headers=admin_headers)
    assert response.status_code == 409
    assert client.get(f"/api/v1/sites/{guide['G-2']}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"name": "无编码", "category": "museum", "lon": 119, "lat": 26},
        {"code": "B-1", "name": "坏坐标", "category": "museum", "lon": 200, "lat": 26},
        {"code": "B-2", "name": "坏类别", "category": "castle", "lon": 119, "lat": 26},
        {"code": "B-3", "name": "无坐标", "category": "museum"},
        ["not", "an", "object"],
    ],
)
def test_bad_bodies_are_400(client, admin_headers, test_regions, body):
    response = client.post("/api/v1/sites", json=body, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"


def test_non_json_body_is_400(client, admin_headers):
    response = client.post("/api/v1/sites", data="code=1", headers=admin_headers)
    assert response.status_code == 400


def test_every_write_leaves_an_audit_entry(client, admin_headers, guide, session):
    site_id = guide["G-4"]
    assert (
        client.patch(f"/api/v1/sites/{site_id}", json={"dwell_min": 20}, headers=admin_headers).status_code
        == 200
    )
    assert client.delete(f"/api/v1/sites/{site_id}", headers=admin_headers).status_code == 204
    rows = session.execute(
        text(
            "SELECT action, before, after FROM audit_log "
            "WHERE object_type = 'sites' AND object_id = :id ORDER BY id"
        ),
        {"id": str(site_id)},
    ).all()
    assert [r.action for r in rows] == ["update", "delete"]
    assert rows[0].after["properties"]["dwell_min"] == 20 and rows[1].after is None
