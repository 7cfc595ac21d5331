"""The engine, a session per request, and the declarative base shared by every domain's models."""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .config import database_url

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base for the GeoAlchemy2 mappings; the schema itself is built by Alembic."""


def make_engine(url: str, slow_query_ms: float = 200.0) -> Engine:
    """Return an engine for url that logs statements slower than slow_query_ms at debug level."""
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, future=True)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, params, context, executemany):
        conn.info.setdefault("query_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _finish(conn, cursor, statement, params, context, executemany):
        elapsed_ms = (time.perf_counter() - conn.info["query_started"].pop()) * 1000
        if elapsed_ms >= slow_query_ms:
            log.debug("slow query %.1f ms: %s", elapsed_ms, " ".join(statement.split())[:300])

    return engine


def init_app(app: Flask) -> None:
    """Attach an engine (or, in tests, a shared connection) and close each request's session."""
    bound: Connection | None = app.config.get("DB_CONNECTION")
    if bound is not None:
        # Tests hand in a connection inside an outer transaction; commits become savepoints.
        factory = sessionmaker(bind=bound, join_transaction_mode="create_savepoint", expire_on_commit=False)
    else:
        url = app.config.get("DATABASE_URL") or database_url()
        engine = make_engine(url, app.config.get("SLOW_QUERY_MS", 200.0))
        app.extensions["hongtu_engine"] = engine
        factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["hongtu_sessionmaker"] = factory

    @app.teardown_appcontext
    def _close(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def get_session() -> Session:
    """Return this request's (or CLI command's) session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["hongtu_sessionmaker"]()
    return g.db_session
