"""Member check-ins: within 200 m of the site, once per site per day, audited."""

import pytest
from sqlalchemy import text

from app import coordsys
from app.auth.audit import list_audit
from tests.auth_support import headers_by_role, make_accounts

SITE = text("""
    INSERT INTO heritage_sites (code, name, category, geom)
    VALUES ('T-SITE', '测试旧址', 'former_site', ST_GeomFromText('POINT(119.02 26.01)', 4326)) RETURNING id
""")
# At 26.01° N one thousandth of a degree of longitude is about 100 m.
NEAR = {"lon": 119.021, "lat": 26.01}
FAR = {"lon": 119.025, "lat": 26.01}


@pytest.fixture
def role_headers(session, test_regions):
    return headers_by_role(session, make_accounts(session))


@pytest.fixture
def site_id(session):
    return session.execute(SITE).scalar_one()


def test_a_check_in_near_the_site_counts_once_a_day(client, role_headers, site_id, session):
    headers = role_headers["member"]
    first = client.post("/api/v1/checkins", json={"site_id": site_id, **NEAR}, headers=headers)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["counted"] is True and body["distance_m"] == pytest.approx(100, abs=3)
    again = client.post("/api/v1/checkins", json={"site_id": site_id, **NEAR}, headers=headers)
    assert again.status_code == 200 and again.get_json()["counted"] is False
    [mine] = client.get("/api/v1/checkins", headers=headers).get_json()["checkins"]
    assert mine["site_name"] == "测试旧址"
    [entry] = list_audit(session, object_type="checkin")
    assert entry.after["site_id"] == site_id and entry.username == "party-member"


def test_a_check_in_far_away_is_refused_with_the_distance(client, role_headers, site_id):
    response = client.post(
        "/api/v1/checkins", json={"site_id": site_id, **FAR}, headers=role_headers["member"]
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["distance_m"] == pytest.approx(500, abs=10) and body["radius_m"] == 200


def test_the_radius_is_configurable(app, client, role_headers, site_id):
    app.config["CHECKIN_RADIUS_M"] = 50
    response = client.post(
        "/api/v1/checkins", json={"site_id": site_id, **NEAR}, headers=role_headers["member"]
    )
    assert response.status_code == 422


def test_gcj02_positions_are_converted_first(client, role_headers, site_id):
    lon, lat = coordsys.convert(NEAR["lon"], NEAR["lat"], "wgs84", "gcj02")
    body = {"site_id": site_id, "lon": float(lon), "lat": float(lat), "coordsys": "gcj02"}
    response = client.post("/api/v1/checkins", json=body, headers=role_headers["member"])
    assert response.status_code == 201
    assert response.get_json()["distance_m"] == pytest.approx(100, abs=3)


def test_visitors_cannot_check_in_and_bad_input_names_the_field(client, role_headers, site_id):
    assert client.post("/api/v1/checkins", json={"site_id": site_id, **NEAR}).status_code == 401
    headers = role_headers["member"]
    response = client.post("/api/v1/checkins", json={"site_id": "x", **NEAR}, headers=headers)
    assert response.get_json()["errors"][0]["param"] == "site_id"
    response = client.post(
        "/api/v1/checkins", json={"site_id": site_id, "lon": 500, "lat": 26}, headers=headers
    )
    assert response.get_json()["errors"][0]["param"] == "lon"
    response = client.post("/api/v1/checkins", json={"site_id": 999999, **NEAR}, headers=headers)
    assert response.status_code == 404
