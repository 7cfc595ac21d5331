"""Map pages and their GeoJSON endpoints on PostGIS: offline assets, escaping, admin layers, bbox loads."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from app import coordsys
from app.maps import queries as map_queries
from app.maps.timetable import timetable
from tests.conftest import load

BOX = "118.99,25.99,119.05,26.03"
XSS = "<img src=x onerror=alert(1)>"
ADD_SITE = text("""
    INSERT INTO heritage_sites (code, name, category, geom)
    VALUES (:code, :name, 'memorial_hall', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) RETURNING id
""")
ADD_ORG = text("""
    INSERT INTO organizations (code, name, kind, geom, member_total, region_id)
    VALUES (:code, :name, 'branch', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :members,
            (SELECT id FROM regions WHERE adcode = :adcode))
""")


@pytest.fixture
def sites(session, test_regions):
    return load(session, "sites", "sites.geojson")


def _add_site(session, name: str, lon: float, lat: float, code: str = "T-X-1") -> int:
    return session.execute(ADD_SITE, {"code": code, "name": name, "lon": lon, "lat": lat}).scalar_one()


def test_home_page_uses_only_the_apps_own_assets(client, sites):
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert links, "the page links its scripts and styles"
    assert all(link.startswith(("/", "?", "#", "data:")) for link in links), links
    assert "cdn" not in html.lower() and "https://" not in html and "http://" not in html
    for url in re.findall(r'src="(/static/[^"]+)"', html):
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_home_page_size_does_not_grow_with_the_sites(client, session, test_regions):
    before = len(client.get("/").data)
    for i in range(60):
        _add_site(session, f"站点{i}", 119.0 + i / 2000, 26.01, code=f"T-G-{i}")
    after = len(client.get("/").data)
    assert abs(after - before) < 64  # only the random element ids and nonce may differ in length


def test_admin_layers_are_left_out_for_visitors(client, admin_headers, sites):
    visitor = client.get("/").get_data(as_text=True)
    admin = client.get("/", headers=admin_headers).get_data(as_text=True)
    for marker in ("/tiles/zones/", "/maps/data/org-heat", "/layers/blind", "/layers/reach_gap"):
        assert marker not in visitor
        assert marker in admin
    assert client.get("/maps/data/org-heat?bbox=" + BOX).status_code == 401


def test_sites_in_a_box_come_with_todays_hours(client, sites):
    body = client.get(f"/maps/data/sites?bbox={BOX}&zoom=14").get_json()
    names = {f["properties"]["name"] for f in body["features"]}
    assert names == {"测试会议旧址", "测试烈士陵园", "测试纪念馆"}
    assert body["clustered"] is False
    assert all("hours_today" in f["properties"] for f in body["features"])
    outside = client.get("/maps/data/sites?bbox=119.1,26.1,119.2,26.2").get_json()
    assert outside["features"] == []


def test_many_sites_come_back_as_counted_clusters(client, sites, monkeypatch):
    monkeypatch.setattr(map_queries, "SITE_POINT_LIMIT", 2)
    body = client.get(f"/maps/data/sites?bbox={BOX}&zoom=6").get_json()
    assert body["clustered"] is True
    assert all(f["properties"]["cluster"] for f in body["features"])
    assert sum(f["properties"]["count"] for f in body["features"]) == 3


def test_gcj02_display_shifts_every_point(client, sites):
    plain = client.get(f"/maps/data/sites?bbox={BOX}&zoom=14").get_json()
    shifted = client.get("/maps/data/sites?bbox=118.99,25.99,119.06,26.04&zoom=14&coordsys=gcj02").get_json()
    where = {
        f["properties"]["code"] if "code" in f["properties"] else f["properties"]["name"]: f
        for f in plain["features"]
    }
    for feature in shifted["features"]:
        lon, lat = where[feature["properties"]["name"]]["geometry"]["coordinates"]
        expected = coordsys.convert(lon, lat, "wgs84", "gcj02")
        assert feature["geometry"]["coordinates"] == pytest.approx(list(expected), abs=1e-6)
        assert abs(feature["geometry"]["coordinates"][0] - lon) > 0.001  # hundreds of metres, not nothing


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("bbox=1,2,3", "bbox"),
        ("", "bbox"),
        (f"bbox={BOX}&zoom=x", "zoom"),
        (f"bbox={BOX}&coordsys=x", "coordsys"),
    ],
)
def test_bad_box_queries_name_the_parameter(client, query, param):
    response = client.get("/maps/data/sites?" + query)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == param


def test_a_site_named_like_markup_is_escaped_everywhere_in_its_page(client, session, test_regions):
    site_id = _add_site(session, XSS, 119.01, 26.01)
    html = client.get(f"/sites/{site_id}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html  # neither in the markup nor inside the map script (tojson escapes <)
    found = client.get("/maps/data/search?q=onerror").get_json()["features"]
    assert [f["properties"]["name"] for f in found] == [XSS]


def test_search_needs_a_short_keyword(client):
    assert client.get("/maps/data/search?q=").get_json()["errors"][0]["param"] == "q"
    assert client.get("/maps/data/search?q=" + "字" * 51).status_code == 400


def test_organization_heat_sums_members_per_cell(client, session, admin_headers, test_regions):
    for i, members in enumerate((10, 5)):
        session.execute(
            ADD_ORG,
            {"code": f"T-O-{i}", "name": f"支部{i}", "lon": 119.001 + i / 1000, "lat": 26.001,
             "members": members, "adcode": "990101"},
        )  # fmt: skip
    body = client.get(f"/maps/data/org-heat?bbox={BOX}&zoom=10", headers=admin_headers).get_json()
    assert [(f["properties"]["organizations"], f["properties"]["members"]) for f in body["features"]] == [
        (2, 15)
    ]


def test_vendor_assets_are_served_from_an_allow_list(client):
    with client.get("/static/vendor/leaflet/dist/leaflet.js") as ok:
        assert ok.status_code == 200 and ok.cache_control.max_age >= 86400
    for path in (
        "/static/vendor/leaflet/package.json",
        "/static/vendor/leaflet/dist/../package.json",
        "/static/vendor/left-pad/dist/index.js",
        "/static/maps/../routes.py",
    ):
        assert client.get(path).status_code == 404, path


def test_dashboard_is_for_admins(client, admin_headers, test_regions):
    visitor = client.get("/dashboard")
    assert visitor.status_code == 403
    assert "/api/v1/coverage" not in visitor.get_data(as_text=True)
    admin = client.get("/dashboard?region=990100", headers=admin_headers)
    assert admin.status_code == 200
    assert 'data-region="990100"' in admin.get_data(as_text=True)
    assert client.get("/dashboard?region=12x", headers=admin_headers).status_code == 400


def test_english_is_switchable_and_remembered(client, sites):
    response = client.get("/?lang=en")
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "hongtu_lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_timetable_adds_travel_and_dwell_minutes():
    route = {
        "stops": [{"seq": 1, "id": 7, "dwell_min": 30}, {"seq": 2, "id": 8, "dwell_min": 45}],
        "legs": [{"from_seq": 1, "to_seq": 2, "duration_min": 14.6}],
    }
    rows = timetable(route, "09:00")
    assert [(r["arrive"], r["leave"]) for r in rows] == [("09:00", "09:30"), ("09:45", "10:30")]


def test_gcj02_basemaps_shift_every_layer_and_tianditu_carries_the_key(app, client, sites):
    amap = client.get("/?basemap=amap").get_data(as_text=True)
    assert "webrd0{s}.is.autonavi.com" in amap
    assert '"coordsys": "gcj02"' in amap
    assert '"coordsys": "wgs84"' in client.get("/").get_data(as_text=True)
    app.config.update(BASEMAP="tianditu", TIANDITU_KEY="abc123")
    tianditu = client.get("/").get_data(as_text=True)
    assert "vec_w/wmts" in tianditu and "cva_w/wmts" in tianditu and "tk=abc123" in tianditu
    assert '"coordsys": "wgs84"' in tianditu
    assert client.get("/?basemap=google").get_json()["errors"][0]["param"] == "basemap"


def test_footer_shows_the_review_number_and_attribution(app, client):
    app.config.update(MAP_REVIEW_NUMBER="闽S（2026）001号", MAP_ATTRIBUTION="数据：<测试>")
    html = client.get("/routes").get_data(as_text=True)
    assert "审图号：闽S（2026）001号" in html
    assert "数据：&lt;测试&gt;" in html


@pytest.mark.parametrize("path", ["/sites/99999999999", "/routes/99999999999", "/maps/data/site/99999999999"])
def test_impossible_ids_are_not_found(client, path):
    assert client.get(path).status_code == 404
