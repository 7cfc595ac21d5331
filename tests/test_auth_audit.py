"""The audit API: super admins only, listed by object or by user, newest first, paged."""

import pytest

from app.auth.audit import audit
from tests.auth_support import headers_by_role, make_accounts


@pytest.fixture
def accounts(session, test_regions):
    return make_accounts(session)


@pytest.fixture
def role_headers(session, accounts):
    return headers_by_role(session, accounts)


@pytest.mark.parametrize(("role", "status"), [("visitor", 401), ("member", 403), ("org_admin", 403)])
def test_only_super_admins_read_the_trail(client, role_headers, role, status):
    assert client.get("/api/v1/audit", headers=role_headers[role]).status_code == status


def test_entries_are_listed_by_object_and_by_user(client, role_headers, accounts, session):
    headers = role_headers["super_admin"]
    created = client.post(
        "/api/v1/users",
        json={"username": "audited", "password": "x" * 12, "role": "member"},
        headers=headers,
    ).get_json()
    client.patch(f"/api/v1/users/{created['id']}", json={"display_name": "新名字"}, headers=headers)
    body = client.get(f"/api/v1/audit?object_type=user&object_id={created['id']}", headers=headers).get_json()
    assert [e["action"] for e in body["entries"]] == ["update", "create"]
    update = body["entries"][0]
    assert update["before"]["display_name"] is None and update["after"]["display_name"] == "新名字"
    assert update["username"] == "root" and update["address"] == "127.0.0.1"
    by_user = client.get(f"/api/v1/audit?user_id={accounts.super_admin}", headers=headers).get_json()
    assert {e["object_id"] for e in by_user["entries"]} >= {str(created["id"])}
    assert all(e["user_id"] == accounts.super_admin for e in by_user["entries"])


def test_paging_goes_back_with_before_id(client, role_headers, session):
    for i in range(5):
        audit(session, "import", "sites", None, details={"rows": i})
    headers = role_headers["super_admin"]
    first = client.get("/api/v1/audit?object_type=sites&limit=2", headers=headers).get_json()
    assert [e["details"]["rows"] for e in first["entries"]] == [4, 3]
    url = f"/api/v1/audit?object_type=sites&limit=2&before_id={first['next_before_id']}"
    second = client.get(url, headers=headers).get_json()
    assert [e["details"]["rows"] for e in second["entries"]] == [2, 1]


@pytest.mark.parametrize("query", ["user_id=abc", "limit=0", "before_id=-1", "object_type=" + "x" * 50])
def test_bad_filters_name_the_parameter(client, role_headers, query):
    response = client.get(f"/api/v1/audit?{query}", headers=role_headers["super_admin"])
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == query.split("=")[0]
