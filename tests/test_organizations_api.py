"""Organizations through /api/v1/organizations on a real PostGIS: scope, filters, tree views and writes.

The tree of tests/auth_support.py over the test regions:

    T-CITY 测试市委 (990100) ─┬─ T-WEST 西区委 (990101) ── T-WEST-B1 西区第一支部 (990101)
                              └─ T-EAST 东区委 (990102)

west-admin administers T-WEST: its subtree is T-WEST and T-WEST-B1, its regions 990101 and below.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import coordsys
from tests.auth_support import headers_by_role, make_accounts
from tests.conftest import load

URL = "/api/v1/organizations"


@pytest.fixture
def world(session, test_regions):
    accounts = make_accounts(session)
    session.commit()
    return accounts, headers_by_role(session, accounts)


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [item["code"] for item in response.get_json()["items"]]


def _audits(session, action: str) -> list:
    sql = text(
        "SELECT object_id, before, after FROM audit_log "
        "WHERE object_type = 'organization' AND action = :action ORDER BY id"
    )
    return list(session.execute(sql, {"action": action}))


def _new(code="T-WEST-B2", parent="T-WEST", **props):
    return {"code": code, "name": "西区第二支部", "kind": "branch", "parent_code": parent} | props


def _version(client, headers, ref) -> int:
    return client.get(f"{URL}/{ref}", headers=headers).get_json()["version"]


@pytest.mark.parametrize(
    "path", ["", "/T-WEST", "/T-WEST/children", "/T-WEST/subtree", "/1", "/1/children", "/1/subtree"]
)
def test_visitors_and_members_get_nothing(client, world, path):
    _, headers = world
    assert client.get(URL + path, headers=headers["visitor"]).status_code == 401
    assert client.get(URL + path, headers=headers["member"]).status_code == 403


def test_members_cannot_write(client, world):
    _, headers = world
    assert client.post(URL, json=_new(), headers=headers["member"]).status_code == 403
    assert client.post(URL, json=_new(), headers=headers["visitor"]).status_code == 401
    assert (
        client.patch(f"{URL}/T-WEST?version=1", json={"name": "x"}, headers=headers["member"]).status_code
        == 403
    )
    assert client.delete(f"{URL}/T-WEST-B1?version=1", headers=headers["visitor"]).status_code == 401


def test_list_keeps_to_the_callers_subtree(client, world):
    _, headers = world
    assert _codes(client.get(URL, headers=headers["org_admin"])) == ["T-WEST", "T-WEST-B1"]
    assert _codes(client.get(URL, headers=headers["super_admin"])) == [
        "T-CITY",
        "T-EAST",
        "T-WEST",
        "T-WEST-B1",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region=990102", ["T-EAST"]),
        ("region=990100", ["T-CITY", "T-EAST", "T-WEST", "T-WEST-B1"]),  # the city and its districts
        ("region=990101", ["T-WEST", "T-WEST-B1"]),
        ("parent=T-CITY", ["T-EAST", "T-WEST"]),
        ("kind=branch", ["T-WEST-B1"]),
        ("kind=committee,branch&q=西区", ["T-WEST", "T-WEST-B1"]),
        ("q=支部", ["T-WEST-B1"]),
        ("q=t-east", ["T-EAST"]),
        ("q=%25", []),  # % is text, not a wildcard
        ("active=false", []),
        ("active=true&region=990102", ["T-EAST"]),
    ],
)
def test_list_filters(client, world, query, expected):
    _, headers = world
    assert _codes(client.get(f"{URL}?{query}", headers=headers["super_admin"])) == expected


def test_parent_filter_takes_an_id(client, world):
    accounts, headers = world
    got = client.get(f"{URL}?parent={accounts.tree.west}", headers=headers["org_admin"])
    assert _codes(got) == ["T-WEST-B1"]


def test_list_is_paged_with_a_count_and_links(client, world):
    _, headers = world
    body = client.get(f"{URL}?limit=3", headers=headers["super_admin"]).get_json()
    assert body["count"] == 4 and len(body["items"]) == 3
    assert "offset=3" in body["links"]["next"] and "prev" not in body["links"]
    last = client.get(f"{URL}?limit=3&offset=3", headers=headers["super_admin"]).get_json()
    assert [i["code"] for i in last["items"]] == ["T-WEST-B1"] and "next" not in last["links"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("kind=cell", "kind"),
        ("region=99", "region"),
        ("region=990999", "region"),
        ("parent=NOPE", "parent"),
        ("active=maybe", "active"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("q=" + "x" * 101, "q"),
        ("coordsys=utm", "coordsys"),
    ],
)
def test_bad_filters_name_the_parameter(client, world, query, param):
    _, headers = world
    response = client.get(f"{URL}?{query}", headers=headers["super_admin"])
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == param


def test_detail_has_parent_counts_region_path_and_masked_contacts(client, world, session):
    _, headers = world
    session.execute(text("UPDATE organizations SET member_total = 12 WHERE code = 'T-WEST'"))
    response = client.get(f"{URL}/T-WEST", headers=headers["org_admin"])
    assert response.status_code == 200
    body = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert body["parent"]["code"] == "T-CITY" and body["parent"]["name"] == "测试市委"
    assert body["children_count"] == 1 and body["zones_count"] == 0 and body["member_total"] == 12
    assert [r["adcode"] for r in body["region_path"]] == ["990000", "990100", "990101"]
    assert body["contact_person"] == "李**" and body["contact_phone"] == "*******2222"
    assert (body["lon"], body["lat"]) == (119.01, 26.01)
    plain = client.get(f"{URL}/{body['id']}?sensitive=true", headers=headers["org_admin"]).get_json()
    assert plain["contact_person"] == "李西区" and plain["contact_phone"] == "13900002222"


def test_detail_in_other_coordinate_systems(client, world):
    _, headers = world
    body = client.get(f"{URL}/T-WEST?coordsys=gcj02&format=geojson", headers=headers["org_admin"]).get_json()
    assert body["type"] == "Feature"
    assert body["geometry"]["coordinates"] == pytest.approx(
        list(coordsys.convert(119.01, 26.01, "wgs84", "gcj02"))
    )


@pytest.mark.parametrize("ref", ["T-EAST", "T-CITY", "T-NONE", "99999999", "9" * 20])
def test_out_of_scope_or_absent_reads_404(client, world, ref):
    _, headers = world
    for path in ("", "/children", "/subtree"):
        assert client.get(f"{URL}/{ref}{path}", headers=headers["org_admin"]).status_code == 404


def test_children_and_subtree(client, world):
    _, headers = world
    assert _codes(client.get(f"{URL}/T-CITY/children", headers=headers["super_admin"])) == [
        "T-EAST",
        "T-WEST",
    ]
    assert _codes(client.get(f"{URL}/T-WEST/children", headers=headers["org_admin"])) == ["T-WEST-B1"]
    tree = client.get(f"{URL}/T-CITY/subtree", headers=headers["super_admin"]).get_json()
    assert [(i["code"], i["depth"]) for i in tree["items"]] == [
        ("T-CITY", 0),
        ("T-EAST", 1),
        ("T-WEST", 1),
        ("T-WEST-B1", 2),
    ]
    shallow = client.get(f"{URL}/T-CITY/subtree?max_depth=1", headers=headers["super_admin"]).get_json()
    assert [i["code"] for i in shallow["items"]] == ["T-CITY", "T-EAST", "T-WEST"]
    mine = client.get(f"{URL}/T-WEST/subtree", headers=headers["org_admin"]).get_json()
    assert [i["code"] for i in mine["items"]] == ["T-WEST", "T-WEST-B1"]


def test_org_admin_creates_below_its_organization(client, world, session):
    _, headers = world
    response = client.post(URL, json=_new(lon=119.011, lat=26.011), headers=headers["org_admin"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["parent_code"] == "T-WEST" and body["adcode"] == "990101" and body["version"] == 1
    assert response.headers["Location"].endswith(f"/organizations/{body['id']}")
    [(object_id, before, after)] = _audits(session, "create")
    assert object_id == str(body["id"]) and before is None and after["code"] == "T-WEST-B2"
    # With neither adcode nor a point, the organization takes its parent's region.
    plain = client.post(URL, json=_new("T-WEST-B3"), headers=headers["org_admin"]).get_json()
    assert plain["adcode"] == "990101" and plain["lon"] is None


def test_create_reads_gcj02(client, world):
    _, headers = world
    lon, lat = coordsys.convert(119.011, 26.011, "wgs84", "gcj02")
    body = client.post(f"{URL}?coordsys=gcj02", json=_new(lon=lon, lat=lat), headers=headers["super_admin"])
    assert (body.get_json()["lon"], body.get_json()["lat"]) == pytest.approx((lon, lat), abs=1e-7)
    stored = client.get(f"{URL}/T-WEST-B2", headers=headers["super_admin"]).get_json()
    assert (stored["lon"], stored["lat"]) == pytest.approx((119.011, 26.011), abs=1e-6)


@pytest.mark.parametrize(
    "body",
    [
        _new(parent="T-EAST"),  # below an organization outside the subtree
        _new(parent="T-CITY"),  # above it
        _new(parent=None),  # a new root
        _new(adcode="990102"),  # in a region outside the admin's
        _new(lon=119.03, lat=26.01),  # at a point in another region
    ],
)
def test_org_admin_cannot_create_outside_its_scope(client, world, session, body):
    _, headers = world
    assert client.post(URL, json=body, headers=headers["org_admin"]).status_code == 403
    assert _audits(session, "create") == []


@pytest.mark.parametrize(
    ("body", "param", "status"),
    [
        (_new(kind="cell"), "kind", 400),
        (_new(name=""), "name", 400),
        (_new(code="x" * 41), "code", 400),
        (_new(parent="T-NONE"), "parent_code", 400),
        (_new(adcode="990999"), "adcode", 400),
        (_new(lon=200, lat=26.0), "geometry", 400),
        (_new(member_total=-1), "member_total", 400),
        (_new(colour="red"), "colour", 400),
        (_new(code="T-WEST-B1"), "code", 409),
    ],
)
def test_bad_bodies_name_the_field(client, world, body, param, status):
    _, headers = world
    response = client.post(URL, json=body, headers=headers["super_admin"])
    assert response.status_code == status, response.get_json()
    assert param in {e.get("param") for e in response.get_json().get("errors", [])} | {
        response.get_json().get("errors", [{}])[0].get("param")
    }


def test_non_json_body_is_a_400(client, world):
    _, headers = world
    response = client.post(URL, data="name=x", headers=headers["super_admin"])
    assert response.status_code == 400


def test_patch_with_version_is_audited(client, world, session):
    _, headers = world
    response = client.patch(
        f"{URL}/T-WEST-B1", json={"name": "西区第一党支部", "version": 1}, headers=headers["org_admin"]
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "西区第一党支部" and body["version"] == 2 and response.headers["ETag"] == '"2"'
    assert body["contact_person"] == "王支书" and body["parent_code"] == "T-WEST"  # untouched fields kept
    [(_, before, after)] = _audits(session, "update")
    assert before["name"] == "西区第一支部" and after["name"] == "西区第一党支部"
    assert before["contact_phone"] == "13900003333"


def test_stale_or_missing_version(client, world, session):
    _, headers = world
    assert (
        client.patch(
            f"{URL}/T-WEST-B1?version=1", json={"name": "一"}, headers=headers["org_admin"]
        ).status_code
        == 200
    )
    stale = client.patch(
        f"{URL}/T-WEST-B1", json={"name": "二"}, headers={**headers["org_admin"], "If-Match": '"1"'}
    )
    assert stale.status_code == 409 and stale.get_json()["current_version"] == 2
    missing = client.patch(f"{URL}/T-WEST-B1", json={"name": "三"}, headers=headers["org_admin"])
    assert missing.status_code == 400 and missing.get_json()["errors"][0]["param"] == "version"
    bad = client.patch(f"{URL}/T-WEST-B1?version=abc", json={"name": "三"}, headers=headers["org_admin"])
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["param"] == "version"
    assert len(_audits(session, "update")) == 1


def test_moving_under_itself_or_a_descendant_is_refused(client, world, session):
    _, headers = world
    su = headers["super_admin"]
    for parent in ("T-WEST-B1", "T-WEST"):
        response = client.patch(f"{URL}/T-WEST?version=1", json={"parent_code": parent}, headers=su)
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["errors"][0]["param"] == "parent_code"
        assert "own ancestor" in response.get_json()["detail"]
    city = client.patch(f"{URL}/T-CITY?version=1", json={"parent_code": "T-WEST-B1"}, headers=su)
    assert city.status_code == 409
    assert _audits(session, "update") == []


def test_moves_within_and_out_of_scope(client, world, session):
    accounts, headers = world
    admin, su = headers["org_admin"], headers["super_admin"]
    client.post(URL, json=_new(), headers=admin)
    # Within the subtree: B2 moves below B1.
    moved = client.patch(
        f"{URL}/T-WEST-B2?version=1", json={"parent_id": accounts.tree.west_branch}, headers=admin
    )
    assert moved.status_code == 200 and moved.get_json()["parent_code"] == "T-WEST-B1"
    # Out of it: refused for the admin, done by a super admin.
    out = client.patch(f"{URL}/T-WEST-B1?version=1", json={"parent_code": "T-EAST"}, headers=admin)
    assert out.status_code == 403
    assert client.patch(f"{URL}/T-EAST?version=1", json={"name": "东"}, headers=admin).status_code == 403
    done = client.patch(
        f"{URL}/T-WEST-B1?version=1", json={"parent_code": "T-EAST", "adcode": "990102"}, headers=su
    )
    assert done.status_code == 200 and done.get_json()["adcode"] == "990102"
    # The admin's own organization: fields yes, a new parent above it no.
    assert (
        client.patch(f"{URL}/T-WEST?version=1", json={"name": "西区委员会"}, headers=admin).status_code == 200
    )
    assert (
        client.patch(f"{URL}/T-WEST?version=2", json={"parent_code": None}, headers=admin).status_code == 403
    )
    assert client.patch(f"{URL}/T-NONE?version=1", json={"name": "x"}, headers=admin).status_code == 404


def test_delete_refuses_while_something_refers_to_it(client, world, session):
    _, headers = world
    su = headers["super_admin"]
    west = client.delete(f"{URL}/T-WEST?version=1", headers=su)
    assert west.status_code == 409
    problem = west.get_json()
    assert problem["children"] == 1 and problem["accounts"] == 1
    assert "1 child organization(s)" in problem["detail"] and "1 account(s)" in problem["detail"]
    session.execute(
        text("""
        INSERT INTO zones (code, name, level, region_id, org_id, geom)
        SELECT '990101001001001', '西区第一网格', 'grid', g.id, o.id,
               ST_Multi(ST_MakeEnvelope(119.0, 26.0, 119.01, 26.01, 4326))
        FROM regions g, organizations o WHERE g.adcode = '990101' AND o.code = 'T-WEST-B1'
    """)
    )
    branch = client.delete(f"{URL}/T-WEST-B1?version=1", headers=su)
    assert (
        branch.status_code == 409
        and branch.get_json()["zones"] == 1
        and "grid zone" in branch.get_json()["detail"]
    )
    assert _audits(session, "delete") == []


def test_delete_with_version_is_audited(client, world, session):
    _, headers = world
    admin = headers["org_admin"]
    created = client.post(URL, json=_new(), headers=admin).get_json()
    assert client.delete(f"{URL}/T-WEST-B2", headers=admin).status_code == 400  # no version
    assert client.delete(f"{URL}/T-WEST-B2?version=7", headers=admin).status_code == 409
    assert client.delete(f"{URL}/T-EAST?version=1", headers=admin).status_code == 403
    response = client.delete(f"{URL}/{created['id']}", headers={**admin, "If-Match": '"1"'})
    assert response.status_code == 200 and response.get_json() == {"deleted": created["id"]}
    [(object_id, before, after)] = _audits(session, "delete")
    assert object_id == str(created["id"]) and before["code"] == "T-WEST-B2" and after is None
    assert client.get(f"{URL}/T-WEST-B2", headers=admin).status_code == 404


def test_an_import_that_changes_an_organization_bumps_its_version(session, test_regions):
    load(session, "organizations", "coverage_orgs.geojson")
    version = text("SELECT version FROM organizations WHERE code = 'T-B1'")
    assert session.execute(version).scalar_one() == 1
    load(session, "organizations", "coverage_orgs.geojson")  # unchanged: no new version
    assert session.execute(version).scalar_one() == 1
    session.execute(text("UPDATE organizations SET name = '旧名' WHERE code = 'T-B1'"))
    load(session, "organizations", "coverage_orgs.geojson")
    assert session.execute(version).scalar_one() == 2
