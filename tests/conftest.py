"""Fixtures on a real PostGIS: one throwaway database per run, one rolled-back transaction per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session

from app import create_app, migrate

DATA = Path(__file__).parent / "data"


def _server_url() -> URL:
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        pytest.fail("TEST_DATABASE_URL is not set: run the tests with `make test`", pytrace=False)
    return make_url(raw)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """Create a fresh database on the test server, migrate it to the newest schema, drop it at the end."""
    server = _server_url()
    name = f"hongtu_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as err:  # a failure, never a skip: the suite must run against PostGIS
        pytest.fail(f"cannot reach the test PostgreSQL at {server.render_as_string()}: {err}", pytrace=False)
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = create_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """An ORM session joined to the test's transaction; its commits become savepoints."""
    sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield sess
    sess.close()


@pytest.fixture
def app(connection: Connection):
    return create_app({"TESTING": True, "DB_CONNECTION": connection, "ADMIN_TOKEN": "test-admin-token"})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": "Bearer test-admin-token"}


def load(
    session: Session,
    layer: str,
    name: str,
    fmt: str = "geojson",
    coordsys: str = "wgs84",
    repair: bool = False,
):
    """Import tests/data/<name> into layer through the ordinary importer."""
    from app.transfer.layers import get_layer
    from app.transfer.service import import_layer

    return import_layer(session, get_layer(layer), (DATA / name).read_bytes(), fmt, coordsys, repair)


@pytest.fixture
def test_regions(session: Session):
    """A made-up province 990000 near Fuzhou: city 990100 split into districts 990101 (W) and 990102 (E)."""
    return load(session, "regions", "regions.geojson")
