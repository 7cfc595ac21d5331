"""Zone writes through /api/v1/zones on a real PostGIS: checks, repair, versions and stale coverage."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import coordsys
from app.coverage import service
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
