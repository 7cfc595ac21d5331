"""The scale generator on the made-up test province: counts, tree shape, grid gaps/overlaps, determinism."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from app.demo.generate import SCALES, cn_number, generate

TINY = replace(SCALES["tiny"], root="990000")
TABLES = ("zones", "pois", "heritage_sites", "service_centres", "organizations")

FINGERPRINT = text("""
    SELECT md5(string_agg(code || ST_AsText(geom), ',' ORDER BY code)) FROM (
        SELECT code, geom FROM organizations UNION ALL SELECT code, geom FROM zones
        UNION ALL SELECT code, geom FROM heritage_sites UNION ALL SELECT code, geom FROM pois
        UNION ALL SELECT code, geom FROM service_centres) t
""")


@pytest.fixture
def generated(session, test_regions):
    return generate(session, TINY, seed=5, regions=False)


def _count(session, sql: str) -> int:
    return session.execute(text(sql)).scalar_one()


def test_counts_match_the_scale(session, generated):
    rows = {t.table: t.rows for t in generated.loads}
    orgs = _count(session, "SELECT count(*) FROM organizations")
    assert rows["organizations"] == TINY.organizations == orgs
    assert rows["service_centres"] == TINY.centres
    assert rows["heritage_sites"] == TINY.sites == _count(session, "SELECT count(*) FROM heritage_sites")
    assert rows["pois"] == TINY.pois
    # Every member sits in a branch; the branch totals add up to the scale's member count exactly.
    members = _count(session, "SELECT sum(member_total) FROM organizations WHERE kind = 'branch'")
    assert members == TINY.members
    assert _count(session, "SELECT min(member_total) FROM organizations WHERE kind = 'branch'") >= 3
    # Voronoi cells per district are only nearly exact (islands share seeds by rounded area).
    assert abs(rows["zones"] - TINY.zones) <= 2
    assert all(t.rows_per_s > 0 for t in generated.loads if t.rows)


def test_the_tree_runs_committee_general_branch_branch(session, generated):
    wrong = _count(
        session,
        """SELECT count(*) FROM organizations c LEFT JOIN organizations p ON p.id = c.parent_id
           WHERE (c.kind = 'branch' AND p.kind NOT IN ('general_branch', 'committee'))
              OR (c.kind = 'general_branch' AND p.kind <> 'committee')
              OR (c.parent_id IS NULL AND c.code NOT IN ('O990101', 'O990102'))
              OR c.region_id <> coalesce(p.region_id, c.region_id)""",
    )
    assert wrong == 0
    assert _count(session, "SELECT count(*) FROM organizations WHERE parent_id IS NULL") == 2


def test_points_lie_in_their_district(session, generated):
    for table in ("organizations", "heritage_sites", "pois", "service_centres"):
        outside = _count(
            session,
            f"SELECT count(*) FROM {table} t JOIN regions r ON r.id = t.region_id "
            "WHERE NOT ST_Covers(r.geom, t.geom)",
        )
        assert outside == 0, table


def test_zones_tile_each_district_with_gaps_and_overlaps(session, generated):
    covered = session.execute(
        text("""SELECT r.adcode, ST_Area(ST_Union(z.geom)) / ST_Area(r.geom) AS share
                FROM zones z JOIN regions r ON r.id = z.region_id GROUP BY r.adcode, r.geom""")
    ).all()
    assert {c.adcode for c in covered} == {"990101", "990102"}
    # Some cells are left out, but the grid still covers most of each district.
    assert all(0.8 < c.share < 1.0 for c in covered)
    overlapping = _count(
        session,
        """SELECT count(*) FROM zones a JOIN zones b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
           WHERE ST_Area(ST_Intersection(a.geom, b.geom)) > 1e-9""",
    )
    assert overlapping > 0
    assert _count(session, "SELECT count(*) FROM zones WHERE org_id IS NULL") >= 1
    assert _count(session, "SELECT count(*) FROM zones WHERE NOT ST_IsValid(geom)") == 0


def test_same_seed_same_data(session, generated):
    first = session.execute(FINGERPRINT).scalar_one()
    for table in TABLES:
        session.execute(text(f"DELETE FROM {table}"))
    generate(session, TINY, seed=5, regions=False)
    assert session.execute(FINGERPRINT).scalar_one() == first
    for table in TABLES:
        session.execute(text(f"DELETE FROM {table}"))
    generate(session, TINY, seed=6, regions=False)
    assert session.execute(FINGERPRINT).scalar_one() != first


def test_chinese_numerals():
    assert [cn_number(n) for n in (3, 10, 12, 20, 47)] == ["三", "十", "十二", "二十", "四十七"]
