"""Accounts for the auth tests: a small organization tree over the test regions and one user per role."""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session

from app.auth import queries, service

PASSWORD = "correct horse battery"
# The production method, so the tests check the real hashing; computed once per run (about 0.1 s each).
HASH_METHOD = "scrypt:32768:8:1"


@cache
def password_hash(password: str = PASSWORD) -> str:
    return service.hash_password(password, HASH_METHOD)


ORGS_SQL = text("""
    WITH r AS (SELECT adcode, id FROM regions)
    INSERT INTO organizations (code, name, kind, parent_id, region_id, geom, contact_person, contact_phone)
    VALUES ('T-CITY', '测试市委', 'committee', NULL, (SELECT id FROM r WHERE adcode = '990100'),
            ST_GeomFromText('POINT(119.02 26.01)', 4326), '张市委', '13900001111')
    RETURNING id
""")
CHILD_SQL = text("""
    INSERT INTO organizations (code, name, kind, parent_id, region_id, geom, contact_person, contact_phone)
    VALUES (:code, :name, :kind, :parent_id, (SELECT id FROM regions WHERE adcode = :adcode),
            ST_GeomFromText(:wkt, 4326), :person, :phone)
    RETURNING id
""")


@dataclass(frozen=True)
class Tree:
    """city ─┬─ west (990101) ── west_branch
    └─ east (990102)"""

    city: int
    west: int
    west_branch: int
    east: int


@dataclass(frozen=True)
class Accounts:
    tree: Tree
    super_admin: int
    west_admin: int
    member: int


def make_tree(session: Session) -> Tree:
    city = session.execute(ORGS_SQL).scalar_one()

    def child(code, name, kind, parent, adcode, wkt, person, phone):
        params = {
            "code": code,
            "name": name,
            "kind": kind,
            "parent_id": parent,
            "adcode": adcode,
            "wkt": wkt,
            "person": person,
            "phone": phone,
        }
        return session.execute(CHILD_SQL, params).scalar_one()

    west = child(
        "T-WEST", "西区委", "committee", city, "990101", "POINT(119.01 26.01)", "李西区", "13900002222"
    )
    west_branch = child(
        "T-WEST-B1",
        "西区第一支部",
        "branch",
        west,
        "990101",
        "POINT(119.012 26.012)",
        "王支书",
        "13900003333",
    )
    east = child(
        "T-EAST", "东区委", "committee", city, "990102", "POINT(119.03 26.01)", "赵东区", "13900004444"
    )
    return Tree(city, west, west_branch, east)


def make_user(session: Session, username: str, role: str, org_id: int | None = None) -> int:
    return queries.insert_user(session, username, password_hash(), role, org_id, None)


def bearer(session: Session, user_id: int) -> dict[str, str]:
    issued = service.issue_token(session, user_id, "test", 1)
    return {"Authorization": f"Bearer {issued.secret}"}


def make_accounts(session: Session) -> Accounts:
    """The test tree (needs the test_regions fixture) with a super admin, a west admin and a member."""
    tree = make_tree(session)
    return Accounts(
        tree,
        make_user(session, "root", "super_admin"),
        make_user(session, "west-admin", "org_admin", tree.west),
        make_user(session, "party-member", "member"),
    )


def headers_by_role(session: Session, accounts: Accounts) -> dict[str, dict[str, str]]:
    """Authorization headers per role; the visitor sends none."""
    return {
        "visitor": {},
        "member": bearer(session, accounts.member),
        "org_admin": bearer(session, accounts.west_admin),
        "super_admin": bearer(session, accounts.super_admin),
    }


_DEMO: dict[str, str | BaseException] = {}


def demo_database(server_url: str) -> str:
    """Return the URL of a database holding the Fuzhou demo and its accounts, built once per test run.

    The matrix, no-leak and fuzz tests share it and wrap each test in a transaction they roll back; the
    database is dropped when the run ends. A failed build is remembered, so it fails every test at once
    instead of being retried by each.
    """
    if server_url not in _DEMO:
        try:
            _DEMO[server_url] = _build_demo_database(server_url)
        except Exception as err:
            _DEMO[server_url] = err
    found = _DEMO[server_url]
    if isinstance(found, BaseException):
        pytest.fail(f"the demo database could not be built: {found}", pytrace=False)
    return found


def _build_demo_database(server_url: str) -> str:
    from app import migrate
    from app.auth.demo import create_demo_accounts
    from app.demo.load import load_demo

    server = make_url(server_url)
    name = f"hongtu_authdemo_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    atexit.register(drop)
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session:
        load_demo(session)
        create_demo_accounts(session, HASH_METHOD)
        session.commit()
    engine.dispose()
    return url


@contextmanager
def demo_connection() -> Iterator[Connection]:
    """A connection to the demo database inside a transaction that is rolled back at the end."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        pytest.fail("TEST_DATABASE_URL is not set: run the tests with `make test`", pytrace=False)
    engine = create_engine(demo_database(raw))
    try:
        with engine.connect() as conn:
            outer = conn.begin()
            yield conn
            outer.rollback()
    finally:
        engine.dispose()


@contextmanager
def rolled_back(conn: Connection) -> Iterator[Connection]:
    """Run one test inside a savepoint of conn, undone afterwards."""
    savepoint = conn.begin_nested()
    try:
        yield conn
    finally:
        # A streamed export reopens its closed session after the request ends (see the auth report); undo
        # whatever savepoint that left before our own.
        while (inner := conn.get_nested_transaction()) is not None and inner is not savepoint:
            inner.rollback()
        if savepoint.is_active:
            savepoint.rollback()


def demo_tokens(conn: Connection) -> dict[str, dict[str, str]]:
    """Bearer headers for the demo accounts by role; the visitor sends none."""
    from app.auth.demo import DEMO_ACCOUNTS

    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    headers: dict[str, dict[str, str]] = {"visitor": {}}
    for account in DEMO_ACCOUNTS:
        found = queries.credentials(session, account.username)
        headers[account.role] = bearer(session, found.id)
    session.commit()
    session.close()
    return headers
