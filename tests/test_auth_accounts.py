"""Accounts: hashed passwords, role/organization binding, the users API, the CLI and the audit trail."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.auth import queries, service
from app.auth.audit import audit, list_audit
from tests.auth_support import PASSWORD, headers_by_role, make_accounts


@pytest.fixture
def accounts(session, test_regions):
    return make_accounts(session)


@pytest.fixture
def role_headers(session, accounts):
    return headers_by_role(session, accounts)


def test_passwords_are_stored_as_scrypt_hashes(client, session, role_headers):
    body = {"username": "new-member", "password": "a long enough secret", "role": "member"}
    response = client.post("/api/v1/users", json=body, headers=role_headers["super_admin"])
    assert response.status_code == 201, response.get_json()
    stored = session.execute(
        text("SELECT password_hash FROM users WHERE username = 'new-member'")
    ).scalar_one()
    assert stored.startswith("scrypt:32768:8:1$")
    assert "a long enough secret" not in stored
    assert "password" not in response.get_json() and "password_hash" not in response.get_json()


def test_org_admin_needs_an_existing_organization(client, role_headers):
    headers = role_headers["super_admin"]
    body = {"username": "lonely-admin", "password": "x" * 12, "role": "org_admin"}
    response = client.post("/api/v1/users", json=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == "org"
    response = client.post("/api/v1/users", json={**body, "org": "NO-SUCH-ORG"}, headers=headers)
    assert response.status_code == 400
    response = client.post("/api/v1/users", json={**body, "org": "T-EAST"}, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["org_code"] == "T-EAST"


def test_duplicate_username_is_409_case_insensitively(client, role_headers):
    body = {"username": "ROOT", "password": "x" * 12, "role": "member"}
    response = client.post("/api/v1/users", json=body, headers=role_headers["super_admin"])
    assert response.status_code == 409


def test_short_password_and_bad_username_name_the_field(client, role_headers):
    headers = role_headers["super_admin"]
    response = client.post(
        "/api/v1/users", json={"username": "ok-name", "password": "short", "role": "member"}, headers=headers
    )
    assert response.get_json()["errors"][0]["param"] == "password"
    response = client.post(
        "/api/v1/users",
        json={"username": "a b'; --", "password": "x" * 12, "role": "member"},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == "username"


@pytest.mark.parametrize("role", ["visitor", "member", "org_admin"])
def test_only_super_admins_manage_accounts(client, role_headers, role):
    expected = 401 if role == "visitor" else 403
    assert client.get("/api/v1/users", headers=role_headers[role]).status_code == expected
    body = {"username": "sneaky", "password": "x" * 12, "role": "super_admin"}
    assert client.post("/api/v1/users", json=body, headers=role_headers[role]).status_code == expected


def test_deactivating_a_user_ends_its_tokens_and_is_audited(client, session, accounts, role_headers):
    member = role_headers["member"]
    assert client.get("/api/v1/auth/me", headers=member).get_json()["role"] == "member"
    response = client.patch(
        f"/api/v1/users/{accounts.member}", json={"active": False}, headers=role_headers["super_admin"]
    )
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=member).get_json()["role"] == "visitor"
    [entry] = list_audit(session, object_type="user", object_id=str(accounts.member))
    assert entry.action == "update"
    assert entry.before["active"] is True and entry.after["active"] is False
    assert entry.username == "root"


def test_cli_creates_the_first_super_admin(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "first-admin", "--role", "super_admin", "--password-stdin"],
        input="a-very-long-password\n",
    )
    assert result.exit_code == 0, result.output
    found = queries.credentials(session, "first-admin")
    assert found is not None and service.check_password(found.password_hash, "a-very-long-password")
    assert queries.get_user(session, found.id).role == "super_admin"
    [entry] = list_audit(session, object_type="user", object_id=str(found.id))
    assert entry.action == "create" and entry.address.startswith("cli:")


def test_cli_refuses_an_org_admin_without_org(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "x-admin", "--role", "org_admin", "--password-stdin"], input="x" * 12 + "\n"
    )
    assert result.exit_code == 1
    assert "org" in result.output


def test_cli_binds_an_org_admin_and_issues_a_token(app, client, session, accounts):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "east-admin", "--role", "org_admin", "--org", "T-EAST", "--password-stdin"],
        input="x" * 12 + "\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "token", "east-admin", "--days", "2"])
    secret = result.output.strip()
    assert secret.startswith("ht_")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert me["username"] == "east-admin" and me["org_id"] == accounts.tree.east


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
def test_audit_log_is_append_only_in_the_database(session, statement):
    audit(session, "create", "thing", 1, None, {"a": 1})
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))
    assert session.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1


def test_password_login_for_a_token_uses_the_password(client, accounts):
    response = client.post("/api/v1/auth/tokens", json={"username": "party-member", "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["username"] == "party-member"
    response = client.post("/api/v1/auth/tokens", json={"username": "party-member", "password": "nope"})
    assert response.status_code == 401
