"""The engine, a session per request, and the declarative base shared by every domain's models."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.errors
from flask import Flask, current_app, g
from sqlalchemy import TextClause, create_engine, event
from sqlalchemy.dialects.postgresql import psycopg2 as pg_psycopg2
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .config import database_url

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base for the GeoAlchemy2 mappings; the schema itself is built by Alembic."""


def make_engine(url: str, slow_query_ms: float = 200.0, *, read_only: bool = False) -> Engine:
    """Return an engine for url that logs statements slower than slow_query_ms at debug level.

    A read_only engine runs each statement on its own (autocommit: no BEGIN and no ROLLBACK round trips
    around a one-query request) and its server sessions refuse writes.
    """
    # No pre-ping: it costs one extra round trip on every request (a third of a nearby search); connections
    # are recycled instead, and HONGTU_DB_PRE_PING=1 turns the ping back on where the network drops them.
    engine = create_engine(
        url,
        pool_pre_ping=os.environ.get("HONGTU_DB_PRE_PING", "0") == "1",
        pool_recycle=1800,
        pool_size=5,
        max_overflow=5,
        future=True,
        # Autocommit connections come back with no transaction open: nothing to roll back on return.
        **({"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None} if read_only else {}),
    )
    if read_only:
        # Once per new connection (a SET, not a startup option, so poolers that refuse options work too).
        # The statements fetch_rows prepares here are the ones whose plan is the same whatever the values
        # (see _fetch_prepared): they are planned once, not again for each new value of a LIMIT.
        @event.listens_for(engine, "connect")
        def _read_settings(dbapi_connection, record):
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET SESSION default_transaction_read_only = on")
                cursor.execute("SET SESSION plan_cache_mode = force_generic_plan")
            if not dbapi_connection.autocommit:
                dbapi_connection.commit()

    if not log.isEnabledFor(logging.DEBUG):
        # The slow-query log is written at debug level: without it, no per-statement timing is kept.
        return engine

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
        slow_ms = app.config.get("SLOW_QUERY_MS", 200.0)
        engine = make_engine(url, slow_ms)
        app.extensions["hongtu_engine"] = engine
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        # Engines connect on first use, so an app that never reads this way opens no second pool.
        read_engine = make_engine(app.config.get("DATABASE_READ_URL") or url, slow_ms, read_only=True)
        app.extensions["hongtu_read_engine"] = read_engine
        app.extensions["hongtu_read_sessionmaker"] = sessionmaker(bind=read_engine, expire_on_commit=False)
    app.extensions["hongtu_sessionmaker"] = factory

    @app.teardown_appcontext
    def _close(exc: BaseException | None) -> None:
        for name in ("db_session", "db_read_session"):
            session: Session | None = g.pop(name, None)
            if session is not None:
                if exc is not None:
                    session.rollback()
                session.close()


def get_session() -> Session:
    """Return this request's (or CLI command's) session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["hongtu_sessionmaker"]()
    return g.db_session


def get_read_session() -> Session:
    """Return this request's session for read-only endpoints: on DATABASE_READ_URL (a streaming replica)
    when set, otherwise on the primary, in both cases autocommit and read-only (see make_engine)."""
    factory = current_app.extensions.get("hongtu_read_sessionmaker")
    if factory is None:
        # Tests: reads must see the rows the test wrote inside its outer transaction.
        return get_session()
    if "db_read_session" not in g:
        g.db_read_session = factory()
    return g.db_read_session


_DIALECT = pg_psycopg2.dialect()


@functools.lru_cache(maxsize=256)
def driver_sql(statement: TextClause) -> str:
    """Return one of our text() statements as psycopg2 sends it (%(name)s parameters, % doubled)."""
    return str(statement.compile(dialect=_DIALECT))


def fetch_rows(
    session: Session, statement: TextClause, params: Mapping[str, Any], *, prepared: bool = False
) -> tuple[list[str], list[tuple]]:
    """Return the column names and row tuples of statement, run on the session's connection.

    For the hottest reads: the statement is compiled once and sent on the driver's cursor, with none of
    the result machinery a session.execute() builds per call.  A session on an engine that has begun
    nothing yet does not begin for it: the statement runs on a pooled autocommit connection borrowed for
    it alone (the read sessions' case), which skips the session's transaction bookkeeping.  When something
    listens to the engine's statements (the slow-query log, the benchmark's capture) it goes through
    SQLAlchemy so they see it.

    prepared asks for a server-side prepared statement on the borrowed connection (see _fetch_prepared):
    for statements whose plan does not depend on the values, where planning costs more than running.
    """
    sql = driver_sql(statement)
    bind = session.get_bind()
    if isinstance(bind, Engine) and not session.in_transaction() and not _listened(bind):
        found = _fetch_borrowed(bind, sql, params, prepared and prepare_enabled())
        if found is not None:
            return found
    conn = session.connection()
    if _listened(conn):
        result = conn.exec_driver_sql(sql, dict(params))
        return list(result.keys()), [tuple(row) for row in result]
    return _fetch(conn.dialect, conn.connection.dbapi_connection, conn, sql, params)


def _listened(target: Engine | Connection) -> bool:
    return bool(target.dispatch.before_cursor_execute or target.dispatch.after_cursor_execute)


def _fetch_borrowed(
    engine: Engine, sql: str, params: Mapping[str, Any], prepared: bool = False
) -> tuple[list[str], list[tuple]] | None:
    """Run sql on a pooled connection of engine if it is in autocommit; None when it is not."""
    pooled = engine.raw_connection()
    try:
        if not pooled.dbapi_connection.autocommit:
            return None  # a SELECT would open a transaction the pool then has to roll back
        if prepared:
            return _fetch_prepared(engine.dialect, pooled, sql, params)
        return _fetch(engine.dialect, pooled.dbapi_connection, pooled, sql, params)
    finally:
        pooled.close()


def prepare_enabled() -> bool:
    """Return False when HONGTU_DB_PREPARE=0: behind a pooler that hands each statement to any server
    connection (PgBouncer in transaction mode), a statement prepared on one is unknown on the next."""
    return os.environ.get("HONGTU_DB_PREPARE", "1") != "0"


@dataclass(frozen=True)
class Prepared:
    """A driver statement as a server-side prepared statement: its name, PREPARE and EXECUTE texts."""

    name: str
    prepare: str
    execute: str


_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


@functools.lru_cache(maxsize=256)
def prepared_form(sql: str) -> Prepared:
    """Return sql (psycopg2's %(name)s parameters, % doubled) as a PREPARE with $n and its EXECUTE.

    The server infers each parameter's type from where it first appears (a CAST, a LIMIT, a comparison),
    as it does for the plain statement; EXECUTE then passes the values as psycopg2 quotes them.
    """
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    body = _PLACEHOLDER.sub(number, sql)
    name = "hongtu_" + hashlib.sha1(sql.encode("utf-8")).hexdigest()[:16]
    arguments = f" ({', '.join(f'%({n})s' for n in names)})" if names else ""
    return Prepared(name, f"PREPARE {name} AS {body}", f"EXECUTE {name}{arguments}")


def _fetch_prepared(
    dialect: Any, pooled: Any, sql: str, params: Mapping[str, Any]
) -> tuple[list[str], list[tuple]]:
    """Run sql as a statement prepared on this pooled connection, preparing it on first use.

    A search's plan takes longer to make than to run: prepared, the server plans it once per connection
    (the read connections ask for generic plans, see make_engine). The names prepared are kept in the
    connection's pool record, which is cleared when the connection is replaced. A statement the server
    no longer has (DISCARD ALL) or whose result columns a migration changed is prepared again.
    """
    form = prepared_form(sql)
    dbapi_connection = pooled.dbapi_connection
    done: set[str] = pooled.info.setdefault("hongtu_prepared", set())
    for attempt in (1, 2):
        if form.name not in done:
            try:
                _execute(dialect, dbapi_connection, pooled, form.prepare)
            except DBAPIError as err:
                # Already prepared (by a record that lost count of it): it is used as it is.
                if not isinstance(err.orig, psycopg2.errors.DuplicatePreparedStatement):
                    raise
            done.add(form.name)
        try:
            return _fetch(dialect, dbapi_connection, pooled, form.execute, params)
        except DBAPIError as err:
            lost = isinstance(err.orig, psycopg2.errors.InvalidSqlStatementName)
            changed = isinstance(err.orig, psycopg2.errors.FeatureNotSupported)
            if attempt == 2 or not (lost or changed):
                raise
            done.discard(form.name)
            if changed:
                _execute(dialect, dbapi_connection, pooled, f"DEALLOCATE {form.name}")
    raise AssertionError("unreachable")


def _execute(dialect: Any, dbapi_connection: Any, owner: Any, sql: str) -> None:
    """Run sql, which takes no parameters and returns no rows, with _fetch's error handling."""
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(sql)
    except psycopg2.Error as err:
        if dialect.is_disconnect(err, dbapi_connection, None):
            owner.invalidate(err)
        raise DBAPIError.instance(sql, None, err, psycopg2.Error) from err


def _fetch(
    dialect: Any, dbapi_connection: Any, owner: Any, sql: str, params: Mapping[str, Any]
) -> tuple[list[str], list[tuple]]:
    """Run sql on dbapi_connection: driver errors raised as SQLAlchemy's, a lost connection invalidated."""
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [d.name for d in cursor.description], cursor.fetchall()
    except psycopg2.Error as err:
        if dialect.is_disconnect(err, dbapi_connection, None):
            owner.invalidate(err)
        raise DBAPIError.instance(sql, params, err, psycopg2.Error) from err
