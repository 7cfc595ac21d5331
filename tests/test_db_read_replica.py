"""Read-only endpoints can send their queries to a replica named by DATABASE_READ_URL."""

from __future__ import annotations

import psycopg2
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InternalError

from app import create_app
from app.db import get_read_session, get_session


def _current_database(session) -> str:
    return session.execute(text("SELECT current_database()")).scalar_one()


def test_reads_go_to_the_read_url_and_writes_stay_on_the_primary(database_url):
    # The server's own "postgres" database stands in for a replica: a different database, same server.
    replica = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": database_url, "DATABASE_READ_URL": replica})
    with app.app_context():
        assert _current_database(get_read_session()) == "postgres"
        assert _current_database(get_session()) == make_url(database_url).database
        assert get_read_session() is get_read_session()
        with pytest.raises(InternalError, match="read-only transaction"):
            get_read_session().execute(text("CREATE TEMP TABLE should_fail (x int)"))
    app.extensions["hongtu_read_engine"].dispose()
    app.extensions["hongtu_engine"].dispose()


def test_without_a_read_url_reads_use_the_primary_read_only_and_autocommit(database_url):
    app = create_app({"DATABASE_URL": database_url, "DATABASE_READ_URL": None})
    with app.app_context():
        reads = get_read_session()
        assert reads is not get_session()
        assert _current_database(reads) == make_url(database_url).database
        raw = reads.connection().connection.dbapi_connection
        # One statement, one round trip: no transaction is left open around it.
        assert raw.autocommit is True
        assert raw.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        with pytest.raises(InternalError, match="read-only transaction"):
            reads.execute(text("CREATE TEMP TABLE should_fail (x int)"))
    app.extensions["hongtu_read_engine"].dispose()
    app.extensions["hongtu_engine"].dispose()


def test_public_reads_are_served_by_the_read_session(database_url):
    # A read URL the server refuses: a public read that used it must fail, one that did not would pass.
    broken = (
        make_url(database_url).set(database="no_such_database_here").render_as_string(hide_password=False)
    )
    app = create_app(
        {"DATABASE_URL": database_url, "DATABASE_READ_URL": broken, "PROPAGATE_EXCEPTIONS": False}
    )
    client = app.test_client()
    assert client.get("/healthz").status_code in (200, 503)
    for path in (
        "/api/v1/sites/nearby?lon=119.3&lat=26.08&k=3",
        "/api/v1/sites",
        "/ogc/collections/sites/items",
    ):
        assert client.get(path).status_code >= 500, path
    app.extensions["hongtu_read_engine"].dispose()
    app.extensions["hongtu_engine"].dispose()
