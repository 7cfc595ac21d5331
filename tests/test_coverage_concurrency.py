"""Coverage requests that arrive together for a region analysed for the first time, on committed data.

The dashboard asks for a report, its per-child shares and its layers at once. Each request runs on its
own pooled connection here (not the test's rolled-back transaction), so the requests really overlap.
The made-up city 980100 (119.10-119.14 E x 26.00-26.02 N, districts 980101 west and 980102 east) is
committed for the test and removed afterwards.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app import create_app
from app.coverage import queries, service

CITY = "980100"
ADMIN = {"Authorization": "Bearer test-admin-token"}

REGIONS = text("""
    INSERT INTO regions (adcode, name, level, parent_id, geom)
    VALUES ('980100', '并发市', 'city', NULL, ST_Multi(ST_MakeEnvelope(119.10, 26.00, 119.14, 26.02, 4326)));
    INSERT INTO regions (adcode, name, level, parent_id, geom)
    SELECT v.adcode, v.name, 'district', c.id, ST_Multi(ST_MakeEnvelope(v.x0, 26.00, v.x1, 26.02, 4326))
    FROM regions c,
         (VALUES ('980101', '并发西区', 119.10, 119.12), ('980102', '并发东区', 119.12, 119.14))
             AS v(adcode, name, x0, x1)
    WHERE c.adcode = '980100';
""")
# An 8 x 4 grid of 5 x 5 mm zones (0.005 degrees), one left out in each district; slightly enlarged so
# neighbours overlap, which gives the overlap pairs work to do.
ZONES = text("""
    INSERT INTO zones (code, name, region_id, geom)
    SELECT g.adcode || '001001' || lpad(CAST(i * 4 + j AS text), 3, '0'), '并发网格' || (i * 4 + j), g.id,
           ST_Multi(ST_MakeEnvelope(119.10 + i * 0.005 - 1e-5, 26.00 + j * 0.005 - 1e-5,
                                    119.105 + i * 0.005 + 1e-5, 26.005 + j * 0.005 + 1e-5, 4326))
    FROM generate_series(0, 7) i, generate_series(0, 3) j, regions g
    WHERE g.adcode = CASE WHEN i < 4 THEN '980101' ELSE '980102' END
      AND (i, j) NOT IN ((1, 2), (6, 1))
""")
CENTRE = text("""
    INSERT INTO service_centres (code, name, level, geom)
    VALUES ('T-CONC-1', '并发站', 'community', ST_SetSRID(ST_MakePoint(119.11, 26.01), 4326))
""")
CLEAN = text("""
    DELETE FROM coverage_snapshots WHERE region_id IN (SELECT id FROM regions WHERE adcode LIKE '9801%');
    DELETE FROM zones WHERE code LIKE '9801%';
    DELETE FROM service_centres WHERE code = 'T-CONC-1';
    DELETE FROM regions WHERE adcode IN ('980101', '980102');
    DELETE FROM regions WHERE adcode = '980100';
""")


@pytest.fixture
def committed_city(database_url):
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(CLEAN)
        conn.execute(REGIONS)
        conn.execute(ZONES)
        conn.execute(CENTRE)
    yield engine
    with engine.begin() as conn:
        conn.execute(CLEAN)
    engine.dispose()


def _together(app, urls: list[str]) -> dict[str, tuple[int, dict]]:
    """GET every url at the same moment, each in its own thread and on its own connection."""
    start = threading.Barrier(len(urls))
    answers: dict[str, tuple[int, dict]] = {}

    def get(url: str) -> None:
        with app.test_client() as client:
            start.wait()
            response = client.get(url, headers=ADMIN)
            answers[url] = (response.status_code, response.get_json(silent=True) or {})

    threads = [threading.Thread(target=get, args=(url,)) for url in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def test_first_requests_for_a_region_arrive_together(committed_city, database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "ADMIN_TOKEN": "test-admin-token"})
    urls = [
        f"/api/v1/coverage/{CITY}?findings=false",
        f"/api/v1/coverage/{CITY}/children",
        f"/api/v1/coverage/{CITY}/layers/blind",
        f"/api/v1/coverage/{CITY}/findings?kind=overlap",
        "/api/v1/coverage/980101/children",  # another region, computing the same zones' facts
    ]
    try:
        answers = _together(app, urls)
    finally:
        app.extensions["hongtu_engine"].dispose()
    assert {url: status for url, (status, _) in answers.items()} == dict.fromkeys(urls, 200)
    # Every request saw the same finished analysis: two blind zones, one per district.
    assert answers[urls[0]][1]["counts"]["blind"] == 2
    assert len(answers[urls[2]][1]["features"]) == 2
    shares = {c["adcode"]: c["covered_ratio"] for c in answers[urls[1]][1]["children"]}
    assert shares["980101"] == pytest.approx(shares["980102"], rel=1e-3) and shares["980101"] < 0.97
    with committed_city.connect() as conn:
        grids = conn.execute(
            text("""
            SELECT g.adcode, r.cells, (SELECT count(*) FROM coverage_cells c WHERE c.region_id = g.id)
            FROM coverage_grids r JOIN regions g ON g.id = r.region_id
            WHERE g.adcode LIKE '9801%' ORDER BY g.adcode
        """)
        ).all()
        facts = conn.execute(
            text("""
            SELECT count(*), count(f.zone_id) FROM zones z
            LEFT JOIN coverage_zone_facts f ON f.zone_id = z.id WHERE z.code LIKE '9801%'
        """)
        ).one()
    # One grid per region, cut once: no second set of cells stored beside the first.
    assert [(adcode, cells == stored) for adcode, cells, stored in grids] == [
        ("980100", True),
        ("980101", True),
    ]
    assert facts[0] == facts[1] == 30


STALE_NEAR = text("""
    SELECT count(*) FILTER (WHERE c.blind_stale) AS stale, count(*) AS cells
    FROM coverage_cells c JOIN regions g ON g.id = c.region_id, zones z
    WHERE g.adcode = '980100' AND z.code = '980101001001000' AND c.geom && z.geom
""")
NUDGE = text("UPDATE zones SET geom = ST_Multi(ST_Translate(geom, :dx, 0)) WHERE code = '980101001001000'")


def test_an_edit_committed_while_a_refresh_computes_its_cell_is_not_lost(committed_city):
    engine = committed_city
    with Session(engine) as session:
        service.coverage_report(session, CITY, with_findings=False)
        region = queries.get_region_ref(session, CITY)
        session.commit()
    with engine.begin() as conn:  # a first edit, committed: the cells around the zone are stale
        conn.execute(NUDGE, {"dx": 0.001})
    edit = engine.connect()
    edit.begin()
    edit.execute(NUDGE, {"dx": 0.001})  # a second edit, not committed yet: it holds those cells
    done = threading.Event()

    def refresh() -> None:
        with Session(engine) as session:
            service.refresh_region(session, region)  # reads the first edit's cells, then waits for them
            session.commit()
        done.set()

    worker = threading.Thread(target=refresh)
    worker.start()
    assert not done.wait(1.5)  # the refresh is waiting for the second edit's cells
    edit.commit()
    edit.close()
    worker.join(timeout=60)
    assert done.is_set()
    with engine.connect() as conn:
        stale, cells = conn.execute(STALE_NEAR).one()
    # The refresh computed those cells from the first edit's zones; the second edit keeps them stale.
    assert cells > 0 and stale > 0
    with Session(engine) as session:
        report = service.coverage_report(session, CITY, with_findings=False)
        session.commit()
    with engine.connect() as conn:
        assert conn.execute(STALE_NEAR).one().stale == 0
    assert report.refreshed.blind_cells >= stale
