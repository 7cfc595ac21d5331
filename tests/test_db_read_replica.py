"""Read-only endpoints can send their queries to a replica named by DATABASE_READ_URL."""

from __future__ import annotations

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


def test_without_a_read_url_reads_share_the_ordinary_session(database_url):
    app = create_app({"DATABASE_URL": database_url, "DATABASE_READ_URL": None})
    with app.app_context():
        assert get_read_session() is get_session()
    assert "hongtu_read_engine" not in app.extensions
    app.extensions["hongtu_engine"].dispose()
