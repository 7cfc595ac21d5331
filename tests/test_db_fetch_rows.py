"""fetch_rows: our hottest reads on the driver's cursor, with the same answers, errors and observability."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db import driver_sql, fetch_rows, make_engine, prepared_form

STATEMENT = text("""
    SELECT n, n * :factor AS scaled, '100%' AS literal, ARRAY['甲', :tag] AS tags
    FROM generate_series(1, 3) AS n ORDER BY n
""")


def test_rows_and_names_equal_what_session_execute_gives(session):
    params = {"factor": 2.5, "tag": "乙"}
    names, rows = fetch_rows(session, STATEMENT, params)
    result = session.execute(STATEMENT, params)
    assert names == list(result.keys()) == ["n", "scaled", "literal", "tags"]
    assert rows == [tuple(r) for r in result] == [(n, n * 2.5, "100%", ["甲", "乙"]) for n in (1, 2, 3)]


def test_percent_signs_in_our_sql_reach_the_server_as_written():
    assert "'100%%'" in driver_sql(STATEMENT) and "%(factor)s" in driver_sql(STATEMENT)


def test_listeners_on_the_engine_still_see_the_statement(session, engine):
    # The slow-query log and the benchmark's capture listen to the engine; they must not go blind.
    seen = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        names, rows = fetch_rows(session, STATEMENT, {"factor": 1, "tag": "丙"})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # (the test session opens a savepoint first)
    assert [statement for statement, _ in seen if "SAVEPOINT" not in statement] == [driver_sql(STATEMENT)]
    assert seen[-1][1] == {"factor": 1, "tag": "丙"}
    assert rows[-1] == (3, 3, "100%", ["甲", "丙"])


def test_a_database_error_is_raised_as_sqlalchemys_and_the_session_recovers(session):
    session.commit()
    with pytest.raises(DBAPIError) as caught:
        fetch_rows(session, text("SELECT 1 / CAST(:zero AS int)"), {"zero": 0})
    assert "division by zero" in str(caught.value.orig)
    session.rollback()
    assert fetch_rows(session, text("SELECT CAST(:x AS int) + 1"), {"x": 41}) == (["?column?"], [(42,)])


def test_a_read_session_that_has_begun_nothing_borrows_a_pooled_autocommit_connection(database_url):
    engine = make_engine(database_url, read_only=True)
    try:
        with Session(engine) as session:
            names, rows = fetch_rows(session, STATEMENT, {"factor": 2, "tag": "丁"})
            assert rows[-1] == (3, 6, "100%", ["甲", "丁"])
            # Nothing was begun on the session: it holds no connection and no transaction.
            assert not session.in_transaction()
            assert engine.pool.checkedout() == 0
            with pytest.raises(DBAPIError) as caught:
                fetch_rows(session, text("SELECT 1 / CAST(:zero AS int)"), {"zero": 0})
            assert "division by zero" in str(caught.value.orig)
            assert engine.pool.checkedout() == 0
            # Once the session has begun, it answers on its own connection (and transaction).
            session.execute(text("SELECT 1"))
            assert fetch_rows(session, text("SELECT CAST(:x AS int) + 1"), {"x": 1}) == (["?column?"], [(2,)])
            assert engine.pool.checkedout() == 1
    finally:
        engine.dispose()


def test_a_session_on_an_engine_outside_autocommit_keeps_to_its_own_connection(database_url):
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            assert fetch_rows(session, text("SELECT CAST(:x AS int) * 2"), {"x": 21}) == (
                ["?column?"],
                [(42,)],
            )
            assert session.in_transaction()
    finally:
        engine.dispose()


# -- prepared statements -------------------------------------------------------------------------------


def test_the_prepared_form_numbers_each_parameter_once_and_keeps_percent_signs():
    form = prepared_form("SELECT %(a)s + %(b)s, %(a)s, '100%%' LIKE 'x'")
    assert form.prepare.endswith("AS SELECT $1 + $2, $1, '100%' LIKE 'x'")
    assert form.execute == f"EXECUTE {form.name} (%(a)s, %(b)s)"
    bare = prepared_form("SELECT 1")
    assert bare.execute == f"EXECUTE {bare.name}" and bare.name != form.name


@pytest.fixture
def read_engine(database_url):
    engine = make_engine(database_url, read_only=True)
    yield engine
    engine.dispose()


def _prepared_on(engine) -> tuple[list[str], int]:
    """Return the names prepared on the pool's one connection and how many generic plans ran."""
    pooled = engine.raw_connection()
    try:
        with pooled.dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT name, generic_plans FROM pg_prepared_statements ORDER BY name")
            found = cursor.fetchall()
        return [name for name, _ in found], sum(plans for _, plans in found)
    finally:
        pooled.close()


def test_a_prepared_read_gives_the_plain_reads_rows_and_is_planned_once(read_engine):
    with Session(read_engine) as session:
        for factor in (1, 2, 3):
            plain = fetch_rows(session, STATEMENT, {"factor": factor, "tag": "戊"})
            prepared = fetch_rows(session, STATEMENT, {"factor": factor, "tag": "戊"}, prepared=True)
            assert prepared == plain
            assert prepared[1][-1] == (3, 3 * factor, "100%", ["甲", "戊"])
    names, generic = _prepared_on(read_engine)
    assert names == [prepared_form(driver_sql(STATEMENT)).name]
    assert generic == 3  # a generic plan each time: planned once, on the first EXECUTE
    assert read_engine.pool.checkedout() == 0


def test_a_statement_the_server_dropped_is_prepared_again(read_engine):
    with Session(read_engine) as session:
        assert fetch_rows(session, STATEMENT, {"factor": 1, "tag": "己"}, prepared=True)[1]
        pooled = read_engine.raw_connection()
        with pooled.dbapi_connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")  # what DISCARD ALL or a server-side reset does
        pooled.close()
        rows = fetch_rows(session, STATEMENT, {"factor": 2, "tag": "己"}, prepared=True)[1]
    assert rows[0] == (1, 2, "100%", ["甲", "己"])
    assert _prepared_on(read_engine)[0] == [prepared_form(driver_sql(STATEMENT)).name]


def test_a_statement_prepared_behind_the_records_back_is_used(read_engine):
    pooled = read_engine.raw_connection()
    with pooled.dbapi_connection.cursor() as cursor:
        cursor.execute(prepared_form(driver_sql(STATEMENT)).prepare)
    pooled.close()
    with Session(read_engine) as session:
        rows = fetch_rows(session, STATEMENT, {"factor": 3, "tag": "辛"}, prepared=True)[1]
    assert rows[1] == (2, 6, "100%", ["甲", "辛"])


def test_a_prepared_read_raises_database_errors_as_sqlalchemys(read_engine):
    with Session(read_engine) as session:
        with pytest.raises(DBAPIError) as caught:
            fetch_rows(session, text("SELECT 1 / CAST(:zero AS int)"), {"zero": 0}, prepared=True)
        assert "division by zero" in str(caught.value.orig)
        assert read_engine.pool.checkedout() == 0
        minus_one = text("SELECT CAST(:x AS int) - 1")
        assert fetch_rows(session, minus_one, {"x": 1}, prepared=True)[1] == [(0,)]


def test_hongtu_db_prepare_0_sends_the_plain_statement(read_engine, monkeypatch):
    monkeypatch.setenv("HONGTU_DB_PREPARE", "0")
    with Session(read_engine) as session:
        assert fetch_rows(session, STATEMENT, {"factor": 1, "tag": "庚"}, prepared=True)[1]
    assert _prepared_on(read_engine)[0] == []
