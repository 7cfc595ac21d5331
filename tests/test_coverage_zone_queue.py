"""Zones whose facts need computing are queued by the edit triggers, and a refresh takes them off.

On the hand-drawn grid of tests/data/coverage_zones.geojson over city 990100.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.coverage import queries, service
from tests.conftest import load

QUEUED = text("SELECT z.code FROM coverage_zone_queue q JOIN zones z ON z.id = q.zone_id ORDER BY z.code")
AREA = text(
    "SELECT f.area_m2 FROM coverage_zone_facts f JOIN zones z ON z.id = f.zone_id WHERE z.code = :code"
)
# Grown by 0.1% about its centroid: the zone stays where it is (a zone that leaves the region's box waits
# for a report of its new region).
MOVE = text(
    "UPDATE zones SET geom = ST_Multi(ST_Scale(geom, ST_MakePoint(1.001, 1.001), ST_Centroid(geom))) "
    "WHERE code = :code"
)


@pytest.fixture
def analysed(session, test_regions):
    load(session, "organizations", "coverage_orgs.geojson")
    load(session, "zones", "coverage_zones.geojson")
    load(session, "centres", "coverage_centres.geojson")
    service.coverage_report(session, "990100")
    return session


def _code(session) -> str:
    return session.execute(text("SELECT code FROM zones ORDER BY code LIMIT 1")).scalar_one()


def test_an_edit_queues_the_zone_and_the_next_refresh_empties_the_queue(analysed):
    session = analysed
    assert session.execute(QUEUED).all() == []
    code = _code(session)
    before = session.execute(AREA, {"code": code}).scalar_one()
    session.execute(text("UPDATE zones SET name = name || '改' WHERE code = :code"), {"code": code})
    assert session.execute(QUEUED).all() == []  # a new name leaves the facts valid
    session.execute(MOVE, {"code": code})
    assert session.execute(QUEUED).scalars().all() == [code]
    stats = service.refresh_region(session, queries.get_region_ref(session, "990100"))
    assert stats.zones == 1 and session.execute(QUEUED).all() == []
    assert session.execute(AREA, {"code": code}).scalar_one() > before


def test_an_edit_after_the_queue_was_read_keeps_the_zone_queued(analysed):
    session = analysed
    code = _code(session)
    session.execute(MOVE, {"code": code})
    # A refresh reads the queue ...
    region = queries.get_region_ref(session, "990100")
    session.execute(queries.STALE_ZONES, {**queries.ALL.params(), "full": False, "region_id": region.id})
    # ... an edit lands before it takes the zone off (renewing the zone's queue number) ...
    session.execute(MOVE, {"code": code})
    session.execute(queries._q("zone_facts"))
    # ... so the facts it computed from the shape it read are recomputed by the next refresh.
    assert session.execute(QUEUED).scalars().all() == [code]
    assert service.refresh_region(session, queries.get_region_ref(session, "990100")).zones == 1
    assert session.execute(QUEUED).all() == []


def test_zones_changed_with_the_triggers_off_are_recomputed_once_marked(analysed):
    session = analysed
    code = _code(session)
    before = session.execute(AREA, {"code": code}).scalar_one()
    session.execute(text("SET LOCAL session_replication_role = replica"))  # a bulk load without triggers
    session.execute(MOVE, {"code": code})
    session.execute(text("SET LOCAL session_replication_role = origin"))
    region = queries.get_region_ref(session, "990100")
    assert service.refresh_region(session, region).zones == 0  # nothing told the service
    geom = session.execute(text("SELECT ST_AsEWKT(geom) FROM zones WHERE code = :code"), {"code": code})
    service.mark_stale_for_geometry(session, geom.scalar_one())
    assert service.refresh_region(session, region).zones >= 1
    now = session.execute(text("SELECT geo_area_m2(geom) FROM zones WHERE code = :code"), {"code": code})
    after = session.execute(AREA, {"code": code}).scalar_one()
    assert after == pytest.approx(now.scalar_one(), rel=1e-9) and after != pytest.approx(before, rel=1e-5)


def test_a_first_analysis_finds_zones_without_facts_even_unqueued(analysed):
    session = analysed
    session.execute(
        text("DELETE FROM coverage_zone_facts; DELETE FROM coverage_grids; DELETE FROM coverage_cells")
    )
    assert session.execute(QUEUED).all() == []
    report = service.coverage_report(session, "990100")
    zones = session.execute(text("SELECT count(*) FROM zones")).scalar_one()
    assert report.refreshed.zones == zones and report.counts["blind"] == 1


def test_a_partner_without_facts_is_passed_over_then_paired_once_computed(analysed):
    session = analysed
    region = queries.get_region_ref(session, "990100")
    session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(
        text("""INSERT INTO zones (code, name, region_id, province, geom)
                SELECT '990101001001099', '无触发网格', id, '99',
                       ST_Multi(ST_MakeEnvelope(119.005, 26.005, 119.008, 26.008, 4326))
                FROM regions WHERE adcode = '990101'""")
    )
    session.execute(text("SET LOCAL session_replication_role = origin"))
    code = _code(session)  # 西一, which the new zone lies in: nudged, so it is queued
    nudge = text("UPDATE zones SET geom = ST_Multi(ST_Translate(geom, 1e-6, 0)) WHERE code = :code")
    session.execute(nudge, {"code": code})
    service.refresh_region(session, region)  # the new zone has no facts: no pair, and no error
    pairs = text("""SELECT count(*) FROM coverage_overlaps o JOIN zones z ON z.id IN (o.zone_a, o.zone_b)
                    WHERE z.code = '990101001001099'""")
    assert session.execute(pairs).scalar_one() == 0
    service.mark_stale_for_geometry(session, "SRID=4326;POINT(119.0065 26.0065)")
    service.refresh_region(session, region)
    assert session.execute(pairs).scalar_one() == 1


def test_a_zone_outside_the_region_waits_for_a_report_of_its_own_region(analysed):
    session = analysed
    code = _code(session)
    far = text("UPDATE zones SET geom = ST_Multi(ST_Translate(geom, 5, 5)) WHERE code = :code")
    session.execute(far, {"code": code})  # now far outside city 990100
    assert service.refresh_region(session, queries.get_region_ref(session, "990100")).zones == 0
    assert session.execute(QUEUED).scalars().all() == [code]
