"""Curated routes: admin CRUD, public detail with legs, path and corridor POIs, GPX and GeoJSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import text

from tests.routing_support import OPEN_9_17, WALK_MPS, add_site, east_m, load_grid, node

ROUTE = {
    "code": "T-RT-1",
    "name": "测试红色线路",
    "theme": "测试主题",
    "description": "沿横2路步行",
    "suggested_duration_min": 180,
    "season": "四季",
    "stops": ["T-R1", {"site": "T-R2", "dwell_min": 15}, "T-R3"],
}

ADD_POI = text("""
    INSERT INTO pois (code, name, category, geom)
    VALUES (:code, :name, :category, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
""")


@pytest.fixture
def route_sites(session, test_regions):
    load_grid(session)
    add_site(session, "T-R1", node(2, 2), OPEN_9_17, dwell=30, category="memorial_hall")
    add_site(session, "T-R2", node(2, 6), OPEN_9_17, dwell=None, category="monument")
    add_site(session, "T-R3", node(2, 12), OPEN_9_17, dwell=None, category="museum")
    # 60 m north of the street, 1 km north of it, and a shop next to it.
    lon, lat = node(2, 8)
    for code, category, dlat in (
        ("P-NEAR", "food", 0.00054),
        ("P-FAR", "food", 0.009),
        ("P-SHOP", "shopping", 0),
    ):
        session.execute(
            ADD_POI, {"code": code, "name": code, "category": category, "lon": lon, "lat": lat + dlat}
        )


@pytest.fixture
def route(client, admin_headers, route_sites):
    reply = client.post("/api/v1/routes", json=ROUTE, headers=admin_headers)
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()


def test_writes_need_an_admin(client, route_sites):
    assert client.post("/api/v1/routes", json=ROUTE).status_code == 401


def test_route_detail_has_legs_path_totals_and_dwell_defaults(client, route):
    detail = client.get(f"/api/v1/routes/{route['id']}").get_json()
    assert [s["code"] for s in detail["stops"]] == ["T-R1", "T-R2", "T-R3"]
    # Own dwell, the stop's override, then the museum category default.
    assert [s["dwell_min"] for s in detail["stops"]] == [30, 15, 90]
    first, second = detail["legs"]
    assert first["distance_m"] == pytest.approx(east_m(26.004, 4), rel=0.005)
    assert second["duration_min"] == pytest.approx(east_m(26.004, 6) / WALK_MPS / 60, rel=0.005)
    assert detail["path"]["type"] == "LineString"
    assert detail["path"]["coordinates"][0] == pytest.approx(list(node(2, 2)))
    assert detail["path"]["coordinates"][-1] == pytest.approx(list(node(2, 12)))
    assert detail["totals"]["distance_m"] == pytest.approx(
        first["distance_m"] + second["distance_m"], abs=0.2
    )
    assert detail["totals"]["visit_min"] == 135
    assert detail["travel"]["source"] == "roads"


def test_pois_along_the_corridor_respect_distance_and_category(client, route):
    detail = client.get(f"/api/v1/routes/{route['code']}").get_json()
    assert [p["code"] for p in detail["pois"]["items"]] == ["P-NEAR"]
    assert detail["pois"]["items"][0]["distance_m"] == pytest.approx(0.00054 * 110_700, rel=0.02)
    wide = client.get(
        f"/api/v1/routes/{route['id']}?poi_within_m=1200&poi_categories=food,shopping"
    ).get_json()
    assert sorted(p["code"] for p in wide["pois"]["items"]) == ["P-FAR", "P-NEAR", "P-SHOP"]
    narrow = client.get(f"/api/v1/routes/{route['id']}?poi_within_m=40").get_json()
    assert narrow["pois"]["items"] == []
    bad = client.get(f"/api/v1/routes/{route['id']}?poi_categories=spaceport")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["param"] == "poi_categories"


def test_route_gpx_and_geojson(client, route):
    gpx = client.get(f"/api/v1/routes/{route['id']}.gpx")
    assert gpx.status_code == 200 and gpx.mimetype == "application/gpx+xml"
    root = ET.fromstring(gpx.data)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert [w.find("g:name", ns).text for w in root.findall("g:wpt", ns)] == [
        "1. 测试点T-R1",
        "2. 测试点T-R2",
        "3. 测试点T-R3",
    ]
    assert len(root.findall(".//g:rtept", ns)) == 3
    geo = client.get(f"/api/v1/routes/{route['id']}.geojson")
    assert geo.mimetype == "application/geo+json"
    assert [f["geometry"]["type"] for f in geo.get_json()["features"]] == ["Point"] * 3 + ["LineString"] * 2


def test_list_update_and_delete(client, admin_headers, route):
    listed = client.get("/api/v1/routes").get_json()["routes"]
    assert [(r["code"], r["stop_count"]) for r in listed if r["code"] == "T-RT-1"] == [("T-RT-1", 3)]
    changed = {**ROUTE, "name": "改名线路", "stops": ["T-R3", "T-R1"]}
    reply = client.put(f"/api/v1/routes/{route['id']}", json=changed, headers=admin_headers)
    assert reply.status_code == 200
    assert [s["code"] for s in reply.get_json()["stops"]] == ["T-R3", "T-R1"]
    assert client.delete(f"/api/v1/routes/{route['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/v1/routes/{route['id']}").status_code == 404


def test_bad_route_bodies_are_400_or_409(client, admin_headers, route):
    unknown = client.post(
        "/api/v1/routes", json={**ROUTE, "code": "T-RT-2", "stops": ["NOPE"]}, headers=admin_headers
    )
    assert unknown.status_code == 400 and unknown.get_json()["errors"][0]["param"] == "stops"
    taken = client.post("/api/v1/routes", json=ROUTE, headers=admin_headers)
    assert taken.status_code == 409
    nameless = client.post(
        "/api/v1/routes", json={**ROUTE, "code": "T-RT-3", "name": ""}, headers=admin_headers
    )
    assert nameless.status_code == 400 and nameless.get_json()["errors"][0]["param"] == "name"
    assert client.post("/api/v1/routes", data="[", headers=admin_headers).status_code == 400


MANY_POIS = text("""
    INSERT INTO pois (code, name, category, geom)
    SELECT 'BULK-' || g, 'bulk',
           (ARRAY['food', 'lodging', 'parking', 'shopping', 'transit', 'toilet', 'other'])[g % 7 + 1],
           ST_SetSRID(ST_MakePoint(118.5 + (g % 200) * 0.005, 25.5 + (g / 200) * 0.01), 4326)
    FROM generate_series(0, 19999) AS g
""")


def test_corridor_and_snap_queries_use_the_gist_indexes(session, route_sites):
    from app.routing.queries import CORRIDOR_POIS, SNAP

    # 20,000 POIs over a square degree around the city, so the planner weighs a realistic table.
    session.execute(MANY_POIS)
    session.execute(text("ANALYZE pois"))
    session.execute(text("ANALYZE roads_edges"))
    path = '{"type": "LineString", "coordinates": [[119.004, 26.004], [119.024, 26.004]]}'
    params = {"path": path, "within_m": 300, "categories": ["food", "parking"]}
    plan = "\n".join(session.execute(text("EXPLAIN " + CORRIDOR_POIS.text), params).scalars())
    assert "ix_pois_geom" in plan, plan
    snap = "\n".join(
        session.execute(text("EXPLAIN " + SNAP["walk"].text), {"lons": [119.0], "lats": [26.0]}).scalars()
    )
    assert "ix_roads_edges_geom" in snap, snap
