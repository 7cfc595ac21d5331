"""A large refresh shared among connections gives the same analysis as one connection, and is used only
when the report's transaction has written nothing (other connections see only committed rows).

The made-up city 970100 (119.20-119.24 E x 26.10-26.124 N, districts 970101 west and 970102 east) is
committed for the test and removed afterwards.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from app.coverage import queries, service

CITY = "970100"

REGIONS = text("""
    INSERT INTO regions (adcode, name, level, parent_id, geom)
    VALUES ('970100', '分担市', 'city', NULL, ST_Multi(ST_MakeEnvelope(119.20, 26.10, 119.24, 26.124, 4326)));
    INSERT INTO regions (adcode, name, level, parent_id, geom)
    SELECT v.adcode, v.name, 'district', c.id, ST_Multi(ST_MakeEnvelope(v.x0, 26.10, v.x1, 26.124, 4326))
    FROM regions c,
         (VALUES ('970101', '分担西区', 119.20, 119.22), ('970102', '分担东区', 119.22, 119.24))
             AS v(adcode, name, x0, x1)
    WHERE c.adcode = '970100';
""")
# A 10 x 6 grid of 0.004-degree zones, every other one slightly enlarged so that neighbours overlap, three
# left out (blind zones), and one spilling past the city's east edge.
ZONES = text("""
    INSERT INTO zones (code, name, region_id, geom)
    SELECT g.adcode || '001001' || lpad(CAST(i * 6 + j AS text), 3, '0'), '分担网格' || (i * 6 + j), g.id,
           ST_Multi(ST_MakeEnvelope(119.20 + i * 0.004 - e, 26.10 + j * 0.004 - e,
                                    119.204 + i * 0.004 + e + CASE WHEN i = 9 AND j = 0 THEN 0.001 ELSE 0 END,
                                    26.104 + j * 0.004 + e, 4326))
    FROM generate_series(0, 9) i, generate_series(0, 5) j, regions g,
         LATERAL (SELECT CASE WHEN (i + j) % 2 = 0 THEN 2e-5 ELSE 0 END AS e) d
    WHERE g.adcode = CASE WHEN i < 5 THEN '970101' ELSE '970102' END
      AND (i, j) NOT IN ((1, 2), (6, 1), (8, 4))
""")
CENTRES = text("""
    INSERT INTO service_centres (code, name, level, geom) VALUES
    ('T-SHARE-1', '分担站一', 'community', ST_SetSRID(ST_MakePoint(119.21, 26.11), 4326)),
    ('T-SHARE-2', '分担站二', 'street', ST_SetSRID(ST_MakePoint(119.232, 26.116), 4326))
""")
CLEAN = text("""
    DELETE FROM coverage_snapshots WHERE region_id IN (SELECT id FROM regions WHERE adcode LIKE '9701%');
    DELETE FROM zones WHERE code LIKE '9701%';
    DELETE FROM service_centres WHERE code LIKE 'T-SHARE-%';
    DELETE FROM regions WHERE adcode IN ('970101', '970102');
    DELETE FROM regions WHERE adcode = '970100';
""")
FORGET = text("""
    DELETE FROM coverage_cells WHERE region_id IN (SELECT id FROM regions WHERE adcode LIKE '9701%');
    DELETE FROM coverage_grids WHERE region_id IN (SELECT id FROM regions WHERE adcode LIKE '9701%');
    DELETE FROM coverage_merged_pieces WHERE region_id IN (SELECT id FROM regions WHERE adcode LIKE '9701%');
    DELETE FROM coverage_zone_facts WHERE zone_id IN (SELECT id FROM zones WHERE code LIKE '9701%');
""")
STORED = text("""
    SELECT (SELECT count(*) FROM coverage_cells c JOIN regions g ON g.id = c.region_id
            WHERE g.adcode = '970100') AS cells,
           (SELECT count(*) FROM coverage_cells c JOIN regions g ON g.id = c.region_id
            WHERE g.adcode = '970100' AND (c.blind_stale OR c.reach_stale)) AS stale,
           (SELECT count(*) FROM coverage_zone_facts f JOIN zones z ON z.id = f.zone_id
            WHERE z.code LIKE '9701%' AND f.pairs_done) AS zones_done
""")
OVERLAPS = text("""
    SELECT o.zone_a, o.zone_b, round(CAST(o.area_m2 AS numeric), 3)
    FROM coverage_overlaps o JOIN zones z ON z.id = o.zone_a WHERE z.code LIKE '9701%'
    ORDER BY 1, 2
""")

FACTS_STATS = text("""
    SELECT (SELECT reltuples FROM pg_class WHERE oid = CAST('coverage_zone_facts' AS regclass)) AS believed,
           (SELECT count(*) FROM coverage_zone_facts) AS held
""")

MOVE = "UPDATE {table} SET geom = ST_Translate(geom, :dx, 0) WHERE code LIKE '{like}'"


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(CLEAN)
        conn.execute(REGIONS)
        conn.execute(ZONES)
        conn.execute(CENTRES)
    yield engine
    with engine.begin() as conn:
        conn.execute(CLEAN)
    engine.dispose()


def _first_run(engine, monkeypatch, workers: int):
    """Forget the city's stored coverage (committed), then report it in a transaction rolled back after."""
    with engine.begin() as conn:
        conn.execute(FORGET)
    monkeypatch.setenv("HONGTU_COVERAGE_WORKERS", str(workers))
    with Session(engine) as session:
        report = service.coverage_report(session, CITY)
        overlaps = session.execute(OVERLAPS).all()
        session.rollback()
    with engine.connect() as conn:
        return report, overlaps, conn.execute(STORED).one()


def _summary(report):
    return (
        {k: v for k, v in report.counts.items() if isinstance(v, int)},
        sorted((f.kind, round(f.area_m2 or 0, 1), tuple(f.zone_ids or ())) for f in report.findings),
        [(c.adcode, round(c.covered_ratio, 6)) for c in report.children],
    )


def test_shared_first_run_equals_one_connection_and_stays_stored(engine, monkeypatch):
    alone, alone_overlaps, alone_stored = _first_run(engine, monkeypatch, workers=1)
    shared, shared_overlaps, shared_stored = _first_run(engine, monkeypatch, workers=2)

    assert _summary(shared) == _summary(alone)
    assert shared.figures.blind_area_m2 == pytest.approx(alone.figures.blind_area_m2, rel=1e-9)
    assert shared.counts["blind"] == 3 and shared.counts["overlap"] > 0 and shared.counts["spill"] > 0
    assert shared_overlaps == alone_overlaps and shared_overlaps
    # On one connection the report's rollback takes the stored state with it; the shares committed theirs.
    assert alone_stored.cells == 0 and alone_stored.zones_done == 0
    assert shared_stored.cells == shared.refreshed.cells_built > 0
    assert shared_stored.stale == 0 and shared_stored.zones_done == 57


def test_each_thread_keeps_one_connection_for_all_its_shares(engine, monkeypatch):
    # A first run queues about twenty shares; a connection per share would log in and load PostGIS each time.
    opened = []
    shares = service._share_engine(engine.url)

    def count(dbapi_connection, record):
        opened.append(record)

    event.listen(shares, "connect", count)
    try:
        report, _, stored = _first_run(engine, monkeypatch, workers=2)
    finally:
        event.remove(shares, "connect", count)
    assert stored.cells == report.refreshed.cells_built > 0 and stored.stale == 0
    assert 1 <= len(opened) <= 2


@pytest.mark.parametrize("workers", [1, 2])
def test_a_first_run_leaves_the_planner_counting_the_facts_it_stored(engine, monkeypatch, workers):
    # Statistics taken while the city's zones had no facts, as autovacuum may take them after zones are
    # replaced, would have the report's statements plan for facts that are not there.
    with engine.begin() as conn:
        conn.execute(FORGET)
        conn.execute(text("ANALYZE coverage_zone_facts"))
    monkeypatch.setenv("HONGTU_COVERAGE_WORKERS", str(workers))
    with Session(engine) as session:
        service.coverage_report(session, CITY)
        believed, held = session.execute(FACTS_STATS).one()
        session.rollback()
    assert held >= 57 and abs(believed - held) < 1


def test_a_transaction_that_has_written_refreshes_on_its_own_connection(engine, monkeypatch):
    with engine.begin() as conn:
        conn.execute(FORGET)
    monkeypatch.setenv("HONGTU_COVERAGE_WORKERS", "2")
    with Session(engine) as session:
        # An uncommitted edit: other connections would not see it, so the refresh must not be shared.
        session.execute(text("UPDATE zones SET name = name || '改' WHERE code LIKE '9701%'"))
        report = service.coverage_report(session, CITY)
        session.rollback()
    with engine.connect() as conn:
        stored = conn.execute(STORED).one()
    assert report.refreshed.cells_built > 0 and report.counts["blind"] == 3
    assert stored.cells == 0 and stored.zones_done == 0


def test_many_stale_cells_are_shared_too(engine, monkeypatch):
    _first_run(engine, monkeypatch, workers=2)
    expected = _summary(_first_run(engine, monkeypatch, workers=1)[0])
    _first_run(engine, monkeypatch, workers=2)
    # A committed edit over the whole city marks every cell stale (the edit triggers) ...
    # (moved by 1e-6 degrees and back, two commits, so the ground ends as it was).
    for dx in (1e-6, -1e-6):
        with engine.begin() as conn:
            conn.execute(text(MOVE.format(table="service_centres", like="T-SHARE-%")), {"dx": dx})
            conn.execute(text(MOVE.format(table="zones", like="9701%")), {"dx": dx})
    with engine.connect() as conn:
        assert conn.execute(STORED).one().stale > 0
    # ... and with the threshold at one cell, the recompute is shared: it is committed past the rollback.
    monkeypatch.setattr(service, "SIDE_BY_SIDE_MIN_CELLS", 1)
    with Session(engine) as session:
        report = service.coverage_report(session, CITY)
        session.rollback()
    with engine.connect() as conn:
        stored = conn.execute(STORED).one()
    assert report.refreshed.cells_built == 0 and report.refreshed.blind_cells > 0
    assert stored.stale == 0 and stored.zones_done == 57
    assert _summary(report) == expected


def test_a_zone_edited_while_the_shares_work_is_reported_as_edited(engine, monkeypatch):
    # The report's own connection finds the overlaps as soon as the shares have stored the overlap pairs,
    # while they still work on the cells. A zone edited then is recomputed at the end, and so are the
    # findings that came from it.
    with engine.begin() as conn:
        conn.execute(FORGET)
    monkeypatch.setenv("HONGTU_COVERAGE_WORKERS", "2")
    calls = []
    find_overlaps = queries.add_overlap_findings

    def edit_then_find(session, tolerance_m2):
        if not calls:
            with engine.begin() as conn:  # committed by another user meanwhile
                conn.execute(text(MOVE.format(table="zones", like="970101001001007")), {"dx": 0.001})
        calls.append(tolerance_m2)
        find_overlaps(session, tolerance_m2)

    monkeypatch.setattr(queries, "add_overlap_findings", edit_then_find)
    with Session(engine) as session:
        report = service.coverage_report(session, CITY)
        session.rollback()
    monkeypatch.setattr(queries, "add_overlap_findings", find_overlaps)
    expected = _first_run(engine, monkeypatch, workers=1)[0]
    assert len(calls) == 2
    assert _summary(report) == _summary(expected)
    moved = [f for f in expected.findings if f.kind == "overlap" and (f.area_m2 or 0) > 40_000]
    assert moved  # a quarter of the moved zone (about 44,000 m²) now lies on its neighbour
