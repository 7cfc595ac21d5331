"""Service-centre writes through /api/v1/centres: scope by region, checks, coordsys, audit, stale reach cells.

The test city 990100 (119.00-119.04 E x 26.00-26.02 N) has districts 990101 (west) and 990102 (east);
west-admin administers the west district. The coverage grid fixture adds zones and one centre, T-C1, at
119.005 26.005 in the west.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import coordsys
from app.coverage import service
from tests.auth_support import headers_by_role, make_accounts
from tests.conftest import load

URL = "/api/v1/centres"
REACH_STALE = text("""
    SELECT count(*) FILTER (WHERE c.reach_stale) AS reach, count(*) FILTER (WHERE c.blind_stale) AS blind
    FROM coverage_cells c JOIN regions g ON g.id = c.region_id WHERE g.adcode = '990100'
""")


@pytest.fixture
def world(session, test_regions):
    accounts = make_accounts(session)
    load(session, "organizations", "coverage_orgs.geojson")
    load(session, "zones", "coverage_zones.geojson")
    load(session, "centres", "coverage_centres.geojson")
    east = session.execute(
        text("""
        INSERT INTO service_centres (code, name, level, region_id, geom)
        SELECT 'T-C9', '东区社区党群服务站', 'community', id, ST_SetSRID(ST_MakePoint(119.03, 26.01), 4326)
        FROM regions WHERE adcode = '990102' RETURNING id
    """)
    ).scalar_one()
    west = session.execute(text("SELECT id FROM service_centres WHERE code = 'T-C1'")).scalar_one()
    session.commit()
    return {"west": west, "east": east}, headers_by_role(session, accounts)


def _centre(code="T-C5", lon=119.012, lat=26.012, **props):
    return {
        "code": code,
        "name": "西区第二社区党群服务站",
        "level": "community",
        "lon": lon,
        "lat": lat,
    } | props


def _audits(session) -> list:
    sql = text(
        "SELECT action, object_id, before, after FROM audit_log WHERE object_type = 'centres' ORDER BY id"
    )
    return list(session.execute(sql))


def test_only_admins_write(client, world):
    ids, headers = world
    assert client.post(URL, json=_centre(), headers=headers["visitor"]).status_code == 401
    assert client.post(URL, json=_centre(), headers=headers["member"]).status_code == 403
    assert (
        client.patch(f"{URL}/{ids['west']}", json={"name": "x"}, headers=headers["member"]).status_code == 403
    )
    assert client.delete(f"{URL}/{ids['west']}", headers=headers["visitor"]).status_code == 401


def test_org_admin_creates_in_its_region_and_it_is_audited(client, world, session):
    _, headers = world
    response = client.post(URL, json=_centre(reach_m=800), headers=headers["org_admin"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["adcode"] == "990101" and body["reach_m"] == 800 and body["level_label"] == "社区党群服务站"
    assert response.headers["Location"].endswith(f"/centres/{body['id']}")
    [(action, object_id, before, after)] = _audits(session)
    assert (action, object_id, before) == ("create", str(body["id"]), None)
    assert after["properties"]["code"] == "T-C5"
    # Without its own reach a centre serves its level's default.
    plain = client.post(URL, json=_centre("T-C6", level="street"), headers=headers["org_admin"]).get_json()
    assert plain["reach_m"] == 1000


def test_create_reads_gcj02_and_bd09(client, world):
    _, headers = world
    for code, system in (("T-C7", "gcj02"), ("T-C8", "bd09")):
        lon, lat = coordsys.convert(119.012, 26.012, "wgs84", system)
        response = client.post(
            f"{URL}?coordsys={system}", json=_centre(code, lon, lat), headers=headers["org_admin"]
        )
        assert response.status_code == 201, response.get_json()
        stored = client.get(f"{URL}/{response.get_json()['id']}").get_json()
        assert (stored["lon"], stored["lat"]) == pytest.approx((119.012, 26.012), abs=1e-6)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (_centre(level="palace"), "level"),
        (_centre(reach_m=0), "reach_m"),
        (_centre(reach_m=-5), "reach_m"),
        (_centre(reach_m=50_001), "reach_m"),
        (_centre(reach_m="far"), "reach_m"),
        (_centre(lon=181), "geometry"),
        (_centre(lat=-91), "geometry"),
        (_centre(lon="east"), "geometry"),
        (_centre(name=""), "name"),
        (_centre(adcode="990999"), "adcode"),
    ],
)
def test_bad_fields_are_named(client, world, session, body, param):
    _, headers = world
    response = client.post(URL, json=body, headers=headers["super_admin"])
    assert response.status_code == 400, response.get_json()
    assert param in {e["param"] for e in response.get_json()["errors"]}
    assert _audits(session) == []


def test_bad_coordsys_and_body(client, world):
    _, headers = world
    response = client.post(f"{URL}?coordsys=utm", json=_centre(), headers=headers["super_admin"])
    assert response.status_code == 400 and response.get_json()["errors"][0]["param"] == "coordsys"
    assert client.post(URL, data="x", headers=headers["super_admin"]).status_code == 400
    taken = client.post(URL, json=_centre("T-C1"), headers=headers["super_admin"])
    assert taken.status_code == 409


def test_writes_outside_the_admins_region_are_refused(client, world, session):
    ids, headers = world
    admin = headers["org_admin"]
    assert client.post(URL, json=_centre(lon=119.03, lat=26.01), headers=admin).status_code == 403
    assert client.patch(f"{URL}/{ids['east']}", json={"name": "东"}, headers=admin).status_code == 403
    assert client.delete(f"{URL}/{ids['east']}", headers=admin).status_code == 403
    moved_out = client.patch(f"{URL}/{ids['west']}", json={"lon": 119.03, "lat": 26.01}, headers=admin)
    assert moved_out.status_code == 403
    assert _audits(session) == []
    stored = client.get(f"{URL}/{ids['west']}").get_json()
    assert (stored["lon"], stored["lat"], stored["adcode"]) == (119.005, 26.005, "990101")


def test_patch_and_delete_in_scope(client, world, session):
    ids, headers = world
    admin = headers["org_admin"]
    patched = client.patch(f"{URL}/{ids['west']}", json={"reach_m": 650, "phone": "0591-0000"}, headers=admin)
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["reach_m"] == 650 and patched.get_json()["name"] == "西区社区党群服务站"
    assert client.delete(f"{URL}/{ids['west']}", headers=admin).status_code == 204
    assert client.get(f"{URL}/{ids['west']}").status_code == 404
    assert [a.action for a in _audits(session)] == ["update", "delete"]
    assert _audits(session)[0].before["properties"].get("reach_m") is None
    assert _audits(session)[0].after["properties"]["reach_m"] == 650
    assert client.delete(f"{URL}/{ids['east']}", headers=headers["super_admin"]).status_code == 204


def test_a_centre_write_marks_the_regions_reach_cells_stale(client, world, session):
    ids, headers = world
    service.coverage_report(session, "990100")
    assert session.execute(REACH_STALE).one() == (0, 0)
    created = client.post(URL, json=_centre(lon=119.03, lat=26.01), headers=headers["super_admin"])
    assert created.status_code == 201
    reach, blind = session.execute(REACH_STALE).one()
    assert reach >= 1 and blind == 0  # a centre changes reach, never the blind zones
    stale = client.get("/api/v1/coverage/stale", headers=headers["super_admin"]).get_json()["stale"]
    assert [s["adcode"] for s in stale] == ["990100"]

    service.coverage_report(session, "990100")
    assert session.execute(REACH_STALE).one() == (0, 0)
    patched = client.patch(f"{URL}/{ids['west']}", json={"reach_m": 300}, headers=headers["org_admin"])
    assert patched.status_code == 200
    assert session.execute(REACH_STALE).one()[0] >= 1

    service.coverage_report(session, "990100")
    assert client.delete(f"{URL}/{ids['east']}", headers=headers["super_admin"]).status_code == 204
    assert session.execute(REACH_STALE).one()[0] >= 1
