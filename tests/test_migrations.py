"""The schema comes from the Alembic migrations, up and down, on a real PostGIS."""

import uuid

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import migrate

TABLES = {
    "regions",
    "organizations",
    "zones",
    "heritage_sites",
    "service_centres",
    "pois",
    "routes",
    "route_stops",
}


def test_every_table_exists_with_a_gist_index(connection):
    names = set(inspect(connection).get_table_names())
    assert TABLES <= names
    gist = {
        row.tablename
        for row in connection.execute(
            text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'")
        )
    }
    assert {"regions", "organizations", "zones", "heritage_sites", "service_centres", "pois"} <= gist


def test_extensions_are_created(connection):
    found = set(connection.execute(text("SELECT extname FROM pg_extension")).scalars())
    assert {"postgis", "pgrouting", "pg_trgm"} <= found


def test_geometry_columns_are_srid_4326(connection):
    rows = connection.execute(text("SELECT f_table_name, srid, type FROM geometry_columns")).all()
    assert {r.f_table_name for r in rows} >= {"regions", "zones", "heritage_sites"}
    assert {r.srid for r in rows} == {4326}
    assert {r.type for r in rows if r.f_table_name in ("regions", "zones")} == {"MULTIPOLYGON"}


def test_large_coverage_geometries_are_compressed_with_lz4(connection):
    # pglz spends about 12 ms per MB failing to compress coordinates (migration 0019_geometry_storage).
    rows = connection.execute(
        text("""
            SELECT c.relname, a.attname, a.attcompression
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relname LIKE 'coverage%' AND c.relkind = 'r' AND a.atttypid = 'geometry'::regtype
        """)
    ).all()
    assert len(rows) >= 6
    assert {(r.relname, r.attname) for r in rows if r.attcompression != "l"} == set()


def test_migrations_run_down_and_up_again(database_url):
    scratch = f"hongtu_migrate_{uuid.uuid4().hex[:8]}"
    server = make_url(database_url)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    url = server.set(database=scratch).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        migrate.upgrade(url)
        assert TABLES <= set(inspect(engine).get_table_names())
        migrate.downgrade(url, revision="base")
        engine.dispose()
        assert not TABLES & set(inspect(engine).get_table_names())
        migrate.upgrade(url)
        engine.dispose()
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


def test_zone_code_must_start_with_region_adcode(session, test_regions):
    import pytest
    from sqlalchemy.exc import IntegrityError

    region_id = session.execute(text("SELECT id FROM regions WHERE adcode = '990101'")).scalar_one()
    with pytest.raises(IntegrityError, match="does not start with its region adcode"), session.begin_nested():
        session.execute(
            text(
                "INSERT INTO zones (code, name, region_id, geom) VALUES ('990102001001001', 'x', :r, "
                "ST_Multi(ST_MakeEnvelope(119.0, 26.0, 119.01, 26.01, 4326)))"
            ),
            {"r": region_id},
        )
