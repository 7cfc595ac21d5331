"""Zone writes through /api/v1/zones on a real PostGIS: checks, repair, versions and stale coverage."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import coordsys
from app.coverage import service
from tests.auth_support import headers_by_role, make_accounts
from tests.conftest import load


def _square(x1, y1, x2, y2):
    return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}


BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[119.001, 26.001], [119.005, 26.005], [119.005, 26.001], [119.001, 26.005], [119.001, 26.001]]
    ],
}


def _zone(code="990101001001009", geometry=None, **props):
    properties = {"code": code, "name": "测试网格", "adcode": code[:6]} | props
    return {
        "type": "Feature",
        "geometry": geometry or _square(119.001, 26.001, 119.005, 26.005),
        "properties": properties,
    }


@pytest.fixture
def orgs(session, test_regions):
    load(session, "organizations", "coverage_orgs.geojson")


def _errors(response):
    return {e.get("param") for e in response.get_json().get("errors", [])}


def test_writes_need_an_admin_token(client, test_regions):
    assert client.post("/api/v1/zones", json=_zone()).status_code == 401
    assert client.get("/api/v1/zones?region=990100").status_code == 401


def test_create_read_and_list(client, admin_headers, orgs):
    created = client.post("/api/v1/zones", json=_zone(org_code="T-B1"), headers=admin_headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["properties"]["version"] == 1
    assert body["properties"]["org_code"] == "T-B1"
    assert body["properties"]["area_m2"] == pytest.approx(400 * 444, rel=0.02)
    assert body["repaired"] is None
    assert created.headers["ETag"] == '"1"'
    one = client.get("/api/v1/zones/990101001001009", headers=admin_headers).get_json()
    assert one["properties"]["name"] == "测试网格"
    listed = client.get("/api/v1/zones?bbox=119.0,26.0,119.01,26.01", headers=admin_headers).get_json()
    assert [f["id"] for f in listed["features"]] == ["990101001001009"]
    assert (
        client.get("/api/v1/zones?bbox=119.03,26.0,119.04,26.01", headers=admin_headers).get_json()[
            "features"
        ]
        == []
    )
    by_region = client.get("/api/v1/zones?region=990102", headers=admin_headers).get_json()
    assert by_region["features"] == []


def test_create_converts_gcj02(client, admin_headers, orgs):
    lon, lat = coordsys.convert(119.001, 26.001, "wgs84", "gcj02")
    lon2, lat2 = coordsys.convert(119.005, 26.005, "wgs84", "gcj02")
    feature = _zone(geometry=_square(lon, lat, lon2, lat2))
    body = client.post("/api/v1/zones?coordsys=gcj02", json=feature, headers=admin_headers).get_json()
    xs = [p[0] for p in body["geometry"]["coordinates"][0][0]]
    assert min(xs) == pytest.approx(119.001, abs=1e-5)


def test_duplicate_code_is_a_conflict(client, admin_headers, orgs):
    assert client.post("/api/v1/zones", json=_zone(), headers=admin_headers).status_code == 201
    again = client.post("/api/v1/zones", json=_zone(), headers=admin_headers)
    assert again.status_code == 409
    assert _errors(again) == {"code"}


@pytest.mark.parametrize(
    ("feature", "param"),
    [
        (_zone(code="99010100100100"), "code"),  # 14 digits
        (_zone(code="990101A01001009"), "code"),
        (_zone(code="990102001001009", adcode="990101"), "code"),  # code of another district
        (_zone(adcode="990199"), "adcode"),
        (_zone(org_code="NOPE"), "org_code"),
        (_zone(level="street"), "level"),
        (_zone(colour="red"), "colour"),
        (_zone(name=""), "name"),
        (_zone(geometry={"type": "Point", "coordinates": [119.0, 26.0]}), "geometry"),
        (_zone(geometry=_square(190.0, 26.0, 191.0, 26.1)), "geometry"),
        (_zone(geometry={"type": "Polygon", "coordinates": "nope"}), "geometry"),
        ({"type": "FeatureCollection", "features": []}, "body"),
        ({"type": "Feature", "geometry": None, "properties": {"code": "990101001001009"}}, "geometry"),
        ({"type": "Feature", "geometry": _square(119, 26, 119.1, 26.1), "properties": []}, "properties"),
        (_zone() | {"crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}, "crs"),
    ],
)
def test_bad_zones_are_rejected_naming_the_field(client, admin_headers, orgs, feature, param):
    response = client.post("/api/v1/zones", json=feature, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert param in _errors(response)


def test_not_json_is_rejected(client, admin_headers, orgs):
    response = client.post("/api/v1/zones", data="not json", headers=admin_headers)
    assert response.status_code == 400
    assert _errors(response) == {"body"}


def test_invalid_geometry_is_rejected_with_reason_and_location(client, admin_headers, orgs):
    response = client.post("/api/v1/zones", json=_zone(geometry=BOWTIE), headers=admin_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert "Self-intersection" in body["detail"]
    assert body["location"] == pytest.approx([119.003, 26.003])
    assert _errors(response) == {"geometry"}


def test_invalid_geometry_is_repaired_on_request(client, admin_headers, orgs):
    response = client.post("/api/v1/zones?repair=true", json=_zone(geometry=BOWTIE), headers=admin_headers)
    assert response.status_code == 201
    repaired = response.get_json()["repaired"]
    assert repaired["reason"] == "Self-intersection"
    assert repaired["parts_before"] == 1 and repaired["parts_after"] == 2
    # Two triangles of half the bow's box each.
    assert repaired["area_after_m2"] == pytest.approx(400 * 444 / 2, rel=0.02)
    assert response.get_json()["geometry"]["type"] == "MultiPolygon"


def test_update_needs_the_current_version(client, admin_headers, orgs, session):
    client.post("/api/v1/zones", json=_zone(), headers=admin_headers)
    edit = {"type": "Feature", "geometry": None, "properties": {"name": "改名网格"}}
    missing = client.patch("/api/v1/zones/990101001001009", json=edit, headers=admin_headers)
    assert missing.status_code == 400 and _errors(missing) == {"version"}
    stale = client.patch(
        "/api/v1/zones/990101001001009",
        json=edit | {"properties": {"name": "x", "version": 7}},
        headers=admin_headers,
    )
    assert stale.status_code == 409
    assert stale.get_json()["current_version"] == 1
    assert (
        session.execute(text("SELECT name FROM zones WHERE code = '990101001001009'")).scalar() == "测试网格"
    )
    ok = client.patch(
        "/api/v1/zones/990101001001009",
        json=edit,
        headers=admin_headers | {"If-Match": '"1"'},
    )
    assert ok.status_code == 200
    assert ok.get_json()["properties"]["name"] == "改名网格"
    assert ok.get_json()["properties"]["version"] == 2
    # The geometry was kept.
    assert ok.get_json()["properties"]["area_m2"] == pytest.approx(400 * 444, rel=0.02)


def test_update_of_unknown_zone_is_404(client, admin_headers, orgs):
    edit = {"type": "Feature", "geometry": None, "properties": {"version": 1}}
    assert client.put("/api/v1/zones/990101001001999", json=edit, headers=admin_headers).status_code == 404


def test_update_rejects_invalid_geometry_and_changes_nothing(client, admin_headers, orgs, session):
    client.post("/api/v1/zones", json=_zone(), headers=admin_headers)
    edit = {"type": "Feature", "geometry": BOWTIE, "properties": {"version": 1}}
    assert client.put("/api/v1/zones/990101001001009", json=edit, headers=admin_headers).status_code == 422
    assert session.execute(text("SELECT version FROM zones WHERE code = '990101001001009'")).scalar() == 1


def test_delete_with_version(client, admin_headers, orgs):
    client.post("/api/v1/zones", json=_zone(), headers=admin_headers)
    assert client.delete("/api/v1/zones/990101001001009?version=3", headers=admin_headers).status_code == 409
    assert client.delete("/api/v1/zones/990101001001009?version=x", headers=admin_headers).status_code == 400
    assert client.delete("/api/v1/zones/990101001001009?version=1", headers=admin_headers).status_code == 200
    assert client.get("/api/v1/zones/990101001001009", headers=admin_headers).status_code == 404
    assert client.delete("/api/v1/zones/990101001001009?version=1", headers=admin_headers).status_code == 404


def test_zone_write_marks_coverage_stale_in_the_same_transaction(client, admin_headers, orgs, session):
    load(session, "zones", "coverage_zones.geojson")
    service.coverage_report(session, "990100")
    assert session.execute(text("SELECT count(*) FROM coverage_cells WHERE blind_stale")).scalar() == 0
    created = client.post(
        "/api/v1/zones",
        json=_zone(geometry=_square(119.010, 26.010, 119.020, 26.020)),
        headers=admin_headers,
    ).get_json()
    assert created["coverage_stale"] == ["990100"]
    report = service.coverage_report(session, "990100")
    assert report.counts["blind"] == 0
    assert 0 < report.refreshed.blind_cells < report.figures.cells or report.figures.cells == 1


def test_list_parameters_are_checked(client, admin_headers, test_regions):
    assert _errors(client.get("/api/v1/zones?bbox=1,2,3", headers=admin_headers)) == {"bbox"}
    assert _errors(client.get("/api/v1/zones", headers=admin_headers)) == {"bbox"}
    assert _errors(client.get("/api/v1/zones?region=abc", headers=admin_headers)) == {"region"}
    assert _errors(client.get("/api/v1/zones?region=990100&limit=0", headers=admin_headers)) == {"limit"}


# The west admin's scope: organizations T-WEST and T-WEST-B1, region 990101 (the west half of 990100).
WEST_ZONE, EAST_ZONE = "990101001001001", "990102001001001"


@pytest.fixture
def scoped(client, session, test_regions, admin_headers):
    """A west zone of T-WEST-B1 and an east zone of T-EAST, with headers per role."""
    headers = headers_by_role(session, make_accounts(session))
    west = _zone(WEST_ZONE, _square(119.001, 26.001, 119.005, 26.005), org_code="T-WEST-B1")
    east = _zone(EAST_ZONE, _square(119.031, 26.001, 119.035, 26.005), org_code="T-EAST")
    for feature in (west, east):
        assert client.post("/api/v1/zones", json=feature, headers=admin_headers).status_code == 201
    return headers


def _audit(session, code):
    sql = text("""
        SELECT action, username, before->>'name' AS before_name, after->>'name' AS after_name
        FROM audit_log WHERE object_type = 'zone' AND object_id = :code ORDER BY id
    """)
    return [tuple(r) for r in session.execute(sql, {"code": code})]


def test_org_admin_reads_only_zones_in_its_scope(client, scoped):
    admin = scoped["org_admin"]
    listed = client.get("/api/v1/zones?region=990100", headers=admin).get_json()
    assert [f["id"] for f in listed["features"]] == [WEST_ZONE]
    everything = client.get("/api/v1/zones?region=990100", headers=scoped["super_admin"]).get_json()
    assert [f["id"] for f in everything["features"]] == [WEST_ZONE, EAST_ZONE]
    assert client.get(f"/api/v1/zones/{WEST_ZONE}", headers=admin).status_code == 200
    hidden = client.get(f"/api/v1/zones/{EAST_ZONE}", headers=admin)
    assert hidden.status_code == 404
    assert hidden.get_json()["detail"] == client.get(
        "/api/v1/zones/990101999999999", headers=admin
    ).get_json()["detail"].replace("990101999999999", EAST_ZONE)


def test_org_admin_writes_only_inside_its_scope_before_and_after(client, session, scoped):
    admin = scoped["org_admin"]
    renamed = {"type": "Feature", "properties": {"name": "改名", "version": 1}}
    assert client.patch(f"/api/v1/zones/{EAST_ZONE}", json=renamed, headers=admin).status_code == 403
    assert client.delete(f"/api/v1/zones/{EAST_ZONE}?version=1", headers=admin).status_code == 403
    given_away = {"type": "Feature", "properties": {"org_code": "T-EAST", "version": 1}}
    assert client.patch(f"/api/v1/zones/{WEST_ZONE}", json=given_away, headers=admin).status_code == 403
    moved = _zone("990102001001002", _square(119.031, 26.006, 119.035, 26.009), org_code="T-WEST-B1")
    assert client.post("/api/v1/zones", json=moved, headers=admin).status_code == 403
    assert _audit(session, EAST_ZONE) == [("create", "admin-token", None, "测试网格")]
    assert client.patch(f"/api/v1/zones/{WEST_ZONE}", json=renamed, headers=admin).status_code == 200
    owner = session.execute(
        text("SELECT o.code FROM zones z JOIN organizations o ON o.id = z.org_id WHERE z.code = :c"),
        {"c": WEST_ZONE},
    ).scalar_one()
    assert owner == "T-WEST-B1"
    assert client.delete(f"/api/v1/zones/{WEST_ZONE}?version=2", headers=admin).status_code == 200
    assert _audit(session, WEST_ZONE) == [
        ("create", "admin-token", None, "测试网格"),
        ("update", "west-admin", "测试网格", "改名"),
        ("delete", "west-admin", "改名", None),
    ]


def test_zone_tiles_hold_only_zones_in_scope(client, scoped):
    # Tile 12/3402/1741 starts at 119.0039° E: it holds the east zone and the east edge of the west zone.
    # MVT keeps property values as plain strings.
    url = "/tiles/zones/12/3402/1741.pbf"
    mine = client.get(url, headers=scoped["org_admin"])
    every = client.get(url, headers=scoped["super_admin"])
    assert mine.status_code == every.status_code == 200
    assert WEST_ZONE.encode() in mine.data and EAST_ZONE.encode() not in mine.data
    assert WEST_ZONE.encode() in every.data and EAST_ZONE.encode() in every.data


def test_zone_geometry_over_the_size_limit_is_refused(app, client, scoped):
    app.config["GEOMETRY_MAX_VERTICES"] = 8
    ring = [[119.001 + i * 0.0001, 26.001] for i in range(10)] + [[119.002, 26.004], [119.001, 26.001]]
    big = _zone("990101001001003", {"type": "Polygon", "coordinates": [ring]})
    response = client.post("/api/v1/zones", json=big, headers=scoped["super_admin"])
    assert response.status_code == 400
    assert _errors(response) == {"geometry"}
